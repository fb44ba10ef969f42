import {
  createTestBus,
  createTestDatabase,
  type TestBus,
  type TestDatabase,
  testNatsUrl,
} from '@neurocards/runtime/testing';
import { TelegramServer } from 'telegram-test-api/lib/telegramServer.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort, type RunningProcess, startService, stopProcess } from '../../../test/support/system.js';

// The gateway against an independent Telegram emulator (the telegram-test-api package), for what it
// emulates: messages, commands, inline keyboards and callback queries. Our own fake is then not the only
// judge of the wire format.

const TOKEN = '123456:telegram-test-api-token';
let db: TestDatabase;
let bus: TestBus;
let server: TelegramServer;
const processes: RunningProcess[] = [];

beforeAll(async () => {
  db = await createTestDatabase('gateway_tta');
  bus = await createTestBus('gwt');
  server = new TelegramServer({ port: await freePort(), host: '127.0.0.1', storeTimeout: 60 });
  await server.start();
  const common = { DATABASE_URL: db.url, NATS_URL: testNatsUrl, BUS_PREFIX: bus.prefix, LOG_LEVEL: 'info' };
  processes.push(await startService('projector', common, 'gwt-projector'));
  processes.push(
    await startService(
      'bot-gateway',
      { ...common, TELEGRAM_BOT_TOKEN: TOKEN, TELEGRAM_API_ROOT: server.config.apiURL },
      'gwt-gateway',
    ),
  );
});

afterAll(async () => {
  for (const running of processes.reverse()) await stopProcess(running);
  await server?.stop();
  await bus?.destroy();
  await db?.drop();
});

describe('against telegram-test-api', () => {
  it('answers /start with the menu, and a menu button with its screen', async () => {
    const client = clientFor(4242, 'Olga');
    await client.sendCommand(client.makeCommand('/start'));
    const welcome = (await client.getUpdates()).result.at(-1)?.message;
    expect(welcome?.text).toContain('Привет, Olga');
    const keyboard = welcome?.reply_markup as { inline_keyboard: Array<Array<{ callback_data: string }>> };
    expect(keyboard.inline_keyboard.flat().map((b) => b.callback_data)).toContain('menu:help');

    await client.sendCallback(client.makeCallbackQuery('menu:help'));
    const help = (await client.getUpdates()).result.at(-1)?.message;
    expect(help?.text).toContain('Как это работает');
  });

  it('asks for the photo, and answers stray text and unknown commands', async () => {
    const client = clientFor(4343, 'Petr');
    await client.sendCommand(client.makeCommand('/start'));
    await client.getUpdates();
    await client.sendCallback(client.makeCallbackQuery('menu:create'));
    expect((await client.getUpdates()).result.at(-1)?.message.text).toContain('Что нужно от фото');

    await client.sendMessage(client.makeMessage('Я понимаю только текст'));
    expect((await client.getUpdates()).result.at(-1)?.message.text).toContain('Я понимаю только фото');

    await client.sendCommand(client.makeCommand('/nosuchcommand'));
    expect((await client.getUpdates()).result.at(-1)?.message.text).toContain('Не знаю такой команды');
  });
});

/** A private chat of one user with the bot, as the emulator models it. */
function clientFor(userId: number, firstName: string) {
  return server.getClient(TOKEN, { userId, chatId: userId, firstName, timeout: 10_000 });
}
