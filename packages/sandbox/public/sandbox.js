// The sandbox chat page: one seller talking to the bot through the sandbox server's API. Bubbles come from
// server-sent events (/api/stream); what the seller does goes to /api/* as JSON or as the image itself.

const texts = {
  ru: {
    botSubtitle: 'бот',
    start: 'Начать',
    attach: 'Прикрепить',
    samplePhoto: 'Пример фото товара',
    ownPhoto: 'Фото с этого компьютера…',
    simulate: 'Следующее видео: отказ по правилам контента',
    simulated: 'Следующее видео будет отклонено фильтром контента: кредит вернётся.',
    message: 'Сообщение',
    send: 'Отправить',
    pay: (stars) => `Оплатить ⭐ ${stars}`,
    paid: 'Оплачено',
    paidService: (stars) => `Вы оплатили ${stars} ⭐ (тестовые звёзды)`,
    balance: (balance, reserved) => `Баланс: ${balance}${reserved > 0 ? ` (+${reserved} в работе)` : ''}`,
    note: (seconds) =>
      `Песочница: Telegram, KIE.AI и OpenAI здесь поддельные, оплата тестовыми звёздами. Бот говорит «5-10 минут», но здесь видео приходит примерно через ${seconds} с.`,
    tooLarge: 'Файл больше 10 МБ.',
    notImage: 'Можно отправить только JPEG, PNG или WebP.',
    failed: 'Не получилось',
    video: 'Видео',
    document: 'Файл',
  },
  en: {
    botSubtitle: 'bot',
    start: 'Start',
    attach: 'Attach',
    samplePhoto: 'Sample product photo',
    ownPhoto: 'Photo from this computer…',
    simulate: 'Next video: content policy refusal',
    simulated: 'The next video will be refused by the content filter: the credit comes back.',
    message: 'Message',
    send: 'Send',
    pay: (stars) => `Pay ⭐ ${stars}`,
    paid: 'Paid',
    paidService: (stars) => `You paid ${stars} ⭐ (test Stars)`,
    balance: (balance, reserved) =>
      `Balance: ${balance}${reserved > 0 ? ` (+${reserved} in the works)` : ''}`,
    note: (seconds) =>
      `Sandbox: Telegram, KIE.AI and OpenAI are fakes here, and payments use test Stars. The bot says "5-10 minutes", but here a video arrives in about ${seconds} s.`,
    tooLarge: 'The file is over 10 MB.',
    notImage: 'Only JPEG, PNG or WebP pictures can be sent.',
    failed: 'That did not work',
    video: 'Video',
    document: 'File',
  },
};

const maxPhotoBytes = 10 * 1024 * 1024;
const language = pickLanguage();
const t = texts[language];
const $ = (id) => document.getElementById(id);
const chat = $('chat');
const views = new Map();

function pickLanguage() {
  const asked = new URLSearchParams(location.search).get('lang');
  if (asked === 'ru' || asked === 'en') return asked;
  return (navigator.language || 'ru').toLowerCase().startsWith('en') ? 'en' : 'ru';
}

async function api(path, body) {
  const init = { method: 'POST', headers: {} };
  if (body instanceof Blob) {
    init.headers['content-type'] = body.type;
    init.body = body;
  } else if (body !== undefined) {
    init.headers['content-type'] = 'application/json';
    init.body = JSON.stringify(body);
  }
  const response = await fetch(path, init);
  const answer = await response.json().catch(() => ({}));
  if (!response.ok) throw new Error(answer.message || `${response.status}`);
  return answer;
}

function toast(text) {
  const box = $('toast');
  box.textContent = text;
  box.hidden = false;
  clearTimeout(toast.timer);
  toast.timer = setTimeout(() => {
    box.hidden = true;
  }, 4000);
}

/** Runs a page action; a refusal is shown as a toast instead of being lost. */
function act(action) {
  return action().catch((error) => toast(`${t.failed}: ${error.message}`));
}

// ------------------------------------------------------------------ drawing

function element(tag, className, text) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined) node.textContent = text;
  return node;
}

/** Text with its http(s) links made clickable; everything else stays plain text. */
function linkedText(text) {
  const fragment = document.createDocumentFragment();
  let last = 0;
  for (const match of text.matchAll(/https?:\/\/[^\s]+/g)) {
    fragment.append(text.slice(last, match.index));
    const link = element('a', '', match[0]);
    link.href = match[0];
    link.target = '_blank';
    link.rel = 'noopener noreferrer';
    fragment.append(link);
    last = match.index + match[0].length;
  }
  fragment.append(text.slice(last));
  return fragment;
}

/** Keeps the newest bubble in sight when a picture or video above it finishes loading and grows. */
function scrollWhenLoaded(node, event) {
  node.addEventListener(event, () => {
    chat.scrollTop = chat.scrollHeight;
  });
}

function media(view) {
  if (!view.mediaUrl) return undefined;
  if (view.kind === 'photo') {
    const img = element('img');
    scrollWhenLoaded(img, 'load');
    img.src = view.mediaUrl;
    img.alt = '';
    return img;
  }
  if (view.kind === 'video') {
    const video = element('video');
    scrollWhenLoaded(video, 'loadedmetadata');
    video.src = view.mediaUrl;
    video.controls = true;
    video.playsInline = true;
    video.preload = 'auto';
    return video;
  }
  const link = element('a', '', `📄 ${view.fileName || t.document}`);
  link.href = view.mediaUrl;
  link.target = '_blank';
  link.rel = 'noopener noreferrer';
  return link;
}

function invoice(view) {
  const box = element('div', 'invoice');
  box.append(element('h3', '', view.invoice.title), element('div', '', view.invoice.description));
  box.append(element('div', 'price', `⭐ ${view.invoice.stars}`));
  const pay = element('button', 'pay', view.invoice.paid ? t.paid : t.pay(view.invoice.stars));
  pay.type = 'button';
  pay.disabled = view.invoice.paid;
  pay.addEventListener('click', () => {
    pay.disabled = true;
    act(async () => {
      const answer = await api('/api/pay', { messageId: view.id });
      if (answer.ok) {
        pay.textContent = t.paid;
      } else {
        pay.disabled = false;
        toast(answer.reason);
      }
    }).finally(() => {
      if (pay.textContent !== t.paid) pay.disabled = false;
    });
  });
  box.append(pay);
  return box;
}

function keyboard(view) {
  const box = element('div', 'keyboard');
  for (const row of view.buttons) {
    const line = element('div', 'keyboard-row');
    for (const button of row) {
      if (button.url) {
        const link = element('a', '', `${button.text} ↗`);
        link.href = button.url;
        link.target = '_blank';
        link.rel = 'noopener noreferrer';
        line.append(link);
        continue;
      }
      const press = element('button', '', button.text);
      press.type = 'button';
      press.dataset.data = button.data;
      press.addEventListener('click', () =>
        act(async () => {
          const answer = await api('/api/press', { messageId: view.id, data: button.data });
          if (answer.notice) toast(answer.notice);
        }),
      );
      line.append(press);
    }
    box.append(line);
  }
  return box;
}

function draw(view) {
  if (view.kind === 'payment') {
    const line = element('div', 'service', t.paidService(Number.parseInt(view.text, 10)));
    line.dataset.id = view.id;
    line.dataset.kind = view.kind;
    return line;
  }
  const row = element('div', `row ${view.from}${view.deleted ? ' deleted' : ''}`);
  row.dataset.id = view.id;
  row.dataset.from = view.from;
  row.dataset.kind = view.kind;
  const bubble = element('div', 'bubble');
  const shown = media(view);
  if (shown) bubble.append(shown);
  if (view.invoice) bubble.append(invoice(view));
  else if (view.text) bubble.append(linkedText(view.text));
  const time = new Date(view.date * 1000).toLocaleTimeString(language, {
    hour: '2-digit',
    minute: '2-digit',
  });
  bubble.append(element('span', 'meta', view.edited ? `✎ ${time}` : time));
  row.append(bubble);
  if (view.buttons && !view.invoice) row.append(keyboard(view));
  return row;
}

/** Adds or replaces a bubble, keeping the chat in message order, and scrolls to the newest one. */
function upsert(view) {
  const previous = views.get(view.id);
  views.set(view.id, view);
  const node = draw(view);
  if (previous) {
    chat.querySelector(`[data-id="${view.id}"]`)?.replaceWith(node);
  } else {
    const next = [...chat.children].find((child) => Number(child.dataset.id) > view.id);
    chat.insertBefore(node, next ?? null);
    chat.scrollTop = chat.scrollHeight;
  }
  $('start-bar').hidden = views.size > 0;
}

function showBalance(balance) {
  const box = $('balance');
  box.hidden = balance === null;
  if (balance === null) return;
  box.dataset.balance = balance.balance;
  box.dataset.reserved = balance.reserved;
  box.textContent = t.balance(balance.balance, balance.reserved);
}

// ------------------------------------------------------------------ wiring

function translate() {
  document.documentElement.lang = language;
  for (const node of document.querySelectorAll('[data-t]')) node.textContent = t[node.dataset.t];
  for (const node of document.querySelectorAll('[data-t-title]')) node.title = t[node.dataset.tTitle];
  for (const node of document.querySelectorAll('[data-t-placeholder]'))
    node.placeholder = t[node.dataset.tPlaceholder];
  $('language').textContent = language === 'ru' ? 'EN' : 'RU';
}

function connect() {
  const events = new EventSource('/api/stream');
  events.addEventListener('chat', (event) => {
    views.clear();
    chat.replaceChildren();
    for (const view of JSON.parse(event.data)) upsert(view);
    $('start-bar').hidden = views.size > 0;
    document.body.dataset.state = 'ready';
  });
  events.addEventListener('message', (event) => upsert(JSON.parse(event.data)));
  events.addEventListener('balance', (event) => showBalance(JSON.parse(event.data)));
}

function wire() {
  const menu = $('attach-menu');
  $('attach').addEventListener('click', () => {
    menu.hidden = !menu.hidden;
  });
  $('sample-photo').addEventListener('click', () => {
    menu.hidden = true;
    act(() => api('/api/sample-photo'));
  });
  $('own-photo').addEventListener('click', () => {
    menu.hidden = true;
    $('file').click();
  });
  $('simulate').addEventListener('click', () => {
    menu.hidden = true;
    act(async () => {
      await api('/api/simulate', { next: 'content-policy' });
      toast(t.simulated);
    });
  });
  $('file').addEventListener('change', () => {
    const file = $('file').files[0];
    $('file').value = '';
    if (!file) return;
    if (file.size > maxPhotoBytes) return toast(t.tooLarge);
    if (!['image/jpeg', 'image/png', 'image/webp'].includes(file.type)) return toast(t.notImage);
    act(() => api('/api/photo', file));
  });
  $('composer').addEventListener('submit', (event) => {
    event.preventDefault();
    const text = $('text').value.trim();
    if (!text) return;
    $('text').value = '';
    act(() => api('/api/text', { text }));
  });
  $('start').addEventListener('click', () => act(() => api('/api/text', { text: '/start' })));
  $('language').addEventListener('click', () => {
    const url = new URL(location.href);
    url.searchParams.set('lang', language === 'ru' ? 'en' : 'ru');
    location.assign(url);
  });
}

async function main() {
  translate();
  wire();
  const session = await api('/api/session', { language });
  $('sandbox-note').textContent = t.note(session.videoSeconds);
  connect();
}

main().catch((error) => {
  document.body.dataset.state = 'failed';
  toast(`${t.failed}: ${error.message}`);
});
