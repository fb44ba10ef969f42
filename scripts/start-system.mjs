// Runs the five services as child processes with prefixed output, and stops them together on Ctrl+C.
// Settings come from the environment and from .env; with no TELEGRAM_BOT_TOKEN it runs in sandbox mode
// (docs/sandbox.md): local fake Telegram, KIE.AI and OpenAI servers stand in for the real ones, and a chat
// page at http://127.0.0.1:8080 lets a person talk to the bot as a seller, with no account anywhere.
import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const services = ['projector', 'billing', 'generator', 'delivery', 'bot-gateway'];

const env = { ...readDotEnv(`${root}.env`), ...process.env };
let sandbox;
if (!env.TELEGRAM_BOT_TOKEN) {
  const { startSandbox } = await import('@neurocards/sandbox');
  sandbox = await startSandbox({
    host: env.SANDBOX_HOST ?? '127.0.0.1',
    port: whole('SANDBOX_PORT', 8080),
    telegramPort: whole('SANDBOX_TELEGRAM_PORT', 8081),
    kiePort: whole('SANDBOX_KIE_PORT', 8082),
    openaiPort: whole('SANDBOX_OPENAI_PORT', 8083),
    videoMs: whole('SANDBOX_VIDEO_SECONDS', 5) * 1000,
    databaseUrl: env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/neurocards',
  }).catch((error) => {
    note(`the sandbox could not start: ${error.message}`);
    if (error.code === 'EADDRINUSE')
      note('another program holds that port: set SANDBOX_PORT (or SANDBOX_TELEGRAM_PORT, …) to a free one');
    process.exit(1);
  });
  Object.assign(env, sandbox.serviceEnv);
  note(
    `sandbox mode: fake Telegram Bot API at ${sandbox.telegram.url}, fake KIE.AI at ${sandbox.kie.url}, fake OpenAI at ${sandbox.openai.url}`,
  );
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
  await sandbox?.close();
  process.exit(exitCode);
}
process.once('SIGINT', () => stop(0));
process.once('SIGTERM', () => stop(0));
note(`started ${services.join(', ')}; Ctrl+C stops them`);
if (sandbox) note(`open ${sandbox.url} to chat with the bot as a seller (sandbox mode, docs/sandbox.md)`);

/** A port or a count of seconds from the environment, refusing anything else with a clear message. */
function whole(name, fallback) {
  const value = env[name];
  if (value === undefined || value === '') return fallback;
  if (!/^\d{1,5}$/.test(value) || Number(value) > 65535) {
    note(`${name} must be a whole number up to 65535, not ${JSON.stringify(value)}`);
    process.exit(78);
  }
  return Number(value);
}

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
