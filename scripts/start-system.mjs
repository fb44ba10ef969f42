// Runs the five services as child processes with prefixed output, and stops them together on Ctrl+C.
// Settings come from the environment and from .env; with no TELEGRAM_BOT_TOKEN, local fake Telegram and
// KIE.AI servers stand in for the real ones (sandbox mode), so the system runs with no account anywhere.
import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const services = ['projector', 'billing', 'generator', 'delivery', 'bot-gateway'];

const env = { ...readDotEnv(`${root}.env`), ...process.env };
const fakes = [];
if (!env.TELEGRAM_BOT_TOKEN) {
  const { FakeKie, FakeTelegram } = await import('@neurocards/fake-providers');
  const telegram = await FakeTelegram.start({ port: Number(env.SANDBOX_TELEGRAM_PORT ?? 8081) });
  const kie = await FakeKie.start({ port: Number(env.SANDBOX_KIE_PORT ?? 8082), taskDurationMs: 5000 });
  fakes.push(telegram, kie);
  Object.assign(env, {
    TELEGRAM_BOT_TOKEN: telegram.token,
    TELEGRAM_API_ROOT: telegram.url,
    KIE_API_KEYS: kie.apiKey,
    KIE_BASE_URL: kie.url,
    KIE_UPLOAD_BASE_URL: kie.url,
    KIE_POLL_INTERVAL: '500ms',
  });
  note(`sandbox mode: fake Telegram Bot API at ${telegram.url}, fake KIE.AI at ${kie.url}`);
}

const children = services.map((name) => {
  const child = spawn(process.execPath, [`${root}services/${name}/dist/main.js`], {
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  for (const stream of [child.stdout, child.stderr]) prefixLines(stream, name);
  child.once('exit', (code, signal) => {
    if (!stopping) {
      note(`${name} exited (${signal ?? code}); stopping the others`);
      stop(1);
    }
  });
  return child;
});

let stopping = false;
async function stop(exitCode = 0) {
  if (stopping) return;
  stopping = true;
  await Promise.all(
    children.map(
      (child) =>
        new Promise((resolve) => {
          if (child.exitCode !== null || child.signalCode !== null) return resolve();
          child.once('exit', resolve);
          child.kill('SIGTERM');
        }),
    ),
  );
  await Promise.all(fakes.map((fake) => fake.close()));
  process.exit(exitCode);
}
process.once('SIGINT', () => stop(0));
process.once('SIGTERM', () => stop(0));
note(`started ${services.join(', ')}; Ctrl+C stops them`);

function prefixLines(stream, name) {
  let rest = '';
  stream.setEncoding('utf8');
  stream.on('data', (chunk) => {
    const lines = (rest + chunk).split('\n');
    rest = lines.pop() ?? '';
    for (const line of lines) process.stdout.write(`${name.padEnd(11)} | ${line}\n`);
  });
}

function note(message) {
  process.stdout.write(`${'system'.padEnd(11)} | ${message}\n`);
}

function readDotEnv(path) {
  if (!existsSync(path)) return {};
  const values = {};
  for (const line of readFileSync(path, 'utf8').split('\n')) {
    const match = /^\s*([A-Z][A-Z0-9_]*)\s*=\s*(.*?)\s*$/.exec(line);
    if (match) values[match[1]] = match[2].replace(/^(['"])(.*)\1$/, '$2');
  }
  return values;
}
