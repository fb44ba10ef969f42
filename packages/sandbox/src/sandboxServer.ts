import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { fixturePaths } from '@neurocards/fake-providers';
import { type BalanceReader, ChatStream } from './chatStream.js';
import { cookie, PageError, readBody, readJson, securityHeaders, sendJson, serveFile } from './http.js';
import { maxPhotoBytes, pageRequests, sellerIdSchema } from './requests.js';
import { SellerActions, type SellerActionsDeps } from './sellerActions.js';
import { type Seller, Sellers } from './sellers.js';

/** Construction options of the sandbox's web server. */
export interface SandboxServerOptions extends SellerActionsDeps {
  host?: string;
  /** 0 picks a free port. */
  port?: number;
  /** Where the page reads the seller's balance (the read model); none hides it. */
  balanceOf?: BalanceReader;
  /** How long a video takes at the fake KIE.AI, told on the page. */
  videoSeconds: number;
}

const publicDir = fileURLToPath(new URL('../public/', import.meta.url));
const sessionCookie = 'nc_sandbox_seller';
const assets: Record<string, { path: string; type: string }> = {
  '/': { path: join(publicDir, 'index.html'), type: 'text/html; charset=utf-8' },
  '/assets/sandbox.js': { path: join(publicDir, 'sandbox.js'), type: 'text/javascript; charset=utf-8' },
  '/assets/sandbox.css': { path: join(publicDir, 'sandbox.css'), type: 'text/css; charset=utf-8' },
  '/assets/sample-product.jpg': { path: fixturePaths.productPhoto, type: 'image/jpeg' },
};

/**
 * The sandbox page and its API on node:http: a Telegram-like chat in which the browser is one seller. Page
 * actions become Telegram user actions at the fake Bot API; the bot's messages come back as server-sent
 * events.
 */
export class SandboxServer {
  private readonly server: Server;
  private readonly sellers = new Sellers();
  private readonly actions: SellerActions;
  private readonly stream: ChatStream;
  private baseUrl: string | undefined;

  constructor(private readonly options: SandboxServerOptions) {
    this.actions = new SellerActions(options);
    this.stream = new ChatStream(options.telegram, this.sellers, options.balanceOf);
    this.server = createServer((req, res) => {
      this.route(req, res).catch((error: unknown) => fail(res, error));
    });
  }

  /** The page's address, e.g. `http://127.0.0.1:8080`; throws before `listen()`. */
  get url(): string {
    if (!this.baseUrl) throw new Error('the sandbox server is not listening');
    return this.baseUrl;
  }

  async listen(): Promise<string> {
    const host = this.options.host ?? '127.0.0.1';
    await new Promise<void>((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(this.options.port ?? 0, host, () => resolve());
    });
    const { port } = this.server.address() as AddressInfo;
    this.baseUrl = `http://${host.includes(':') ? `[${host}]` : host}:${port}`;
    return this.baseUrl;
  }

  async close(): Promise<void> {
    this.stream.close();
    const closed = new Promise<void>((resolve) => this.server.close(() => resolve()));
    this.server.closeAllConnections();
    await closed;
  }

  private async route(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const path = new URL(req.url ?? '/', 'http://sandbox.local').pathname;
    const asset = assets[path];
    if (asset && (req.method === 'GET' || req.method === 'HEAD'))
      return serveFile(req, res, asset.path, asset.type);
    if (req.method === 'POST') checkOrigin(req);

    if (path === '/api/session' && req.method === 'POST') {
      const { language } = await readJson(req, pageRequests.session);
      const seller = this.sellers.open(this.sellerIdOf(req), language);
      res.setHeader(
        'set-cookie',
        `${sessionCookie}=${seller.user.id}; Path=/; HttpOnly; SameSite=Strict; Max-Age=31536000`,
      );
      return sendJson(res, 200, { sellerId: seller.user.id, videoSeconds: this.options.videoSeconds });
    }

    const seller = this.seller(req);
    if (path === '/api/stream' && req.method === 'GET') return this.stream.open(seller, res);
    const mediaMatch = /^\/media\/(\d{1,10})$/.exec(path);
    if (mediaMatch && req.method === 'GET') return this.serveMedia(req, res, seller, Number(mediaMatch[1]));
    const photoMatch = /^\/photos\/([0-9a-f-]{36}\.(?:jpg|png|webp))$/.exec(path);
    if (photoMatch && req.method === 'GET') return this.servePhoto(req, res, seller, photoMatch[1] as string);
    if (req.method !== 'POST') throw new PageError(404, 'not_found', 'Not found');

    switch (path) {
      case '/api/text': {
        const { text } = await readJson(req, pageRequests.text);
        return this.sent(res, seller, this.actions.text(seller, text));
      }
      case '/api/photo': {
        const type = (req.headers['content-type'] ?? '').split(';')[0]?.trim().toLowerCase();
        if (!type?.startsWith('image/')) throw new PageError(415, 'not_an_image', 'Send an image');
        const bytes = await readBody(req, maxPhotoBytes);
        return this.sent(res, seller, await this.actions.photo(seller, bytes, type));
      }
      case '/api/sample-photo':
        return this.sent(res, seller, this.actions.samplePhoto(seller));
      case '/api/press': {
        const { messageId, data } = await readJson(req, pageRequests.press);
        const notice = await this.actions.press(seller, messageId, data);
        return sendJson(res, 200, notice === undefined ? { ok: true } : { ok: true, notice });
      }
      case '/api/pay': {
        const { messageId } = await readJson(req, pageRequests.pay);
        const paid = await this.actions.pay(seller, messageId);
        if (paid.ok) this.stream.sellerMessage(seller, paid.payment);
        return sendJson(res, 200, paid);
      }
      case '/api/simulate': {
        await readJson(req, pageRequests.simulate);
        this.actions.simulateContentPolicyRefusal();
        return sendJson(res, 200, { ok: true });
      }
      default:
        throw new PageError(404, 'not_found', 'Not found');
    }
  }

  private sent(res: ServerResponse, seller: Seller, view: Parameters<ChatStream['sellerMessage']>[1]): void {
    this.stream.sellerMessage(seller, view);
    sendJson(res, 200, view);
  }

  private sellerIdOf(req: IncomingMessage): number | undefined {
    const parsed = sellerIdSchema.safeParse(cookie(req, sessionCookie));
    return parsed.success ? parsed.data : undefined;
  }

  private seller(req: IncomingMessage): Seller {
    const id = this.sellerIdOf(req);
    const seller = id === undefined ? undefined : this.sellers.get(id);
    if (!seller) throw new PageError(401, 'no_session', 'Open the page first');
    return seller;
  }

  /** A video, document or picture the bot uploaded to this seller's chat, with byte ranges. */
  private async serveMedia(req: IncomingMessage, res: ServerResponse, seller: Seller, messageId: number) {
    const media = this.actions.botMessage(seller, messageId).media;
    if (media?.kind !== 'upload' || !media.upload.savedPath)
      throw new PageError(404, 'no_file', 'This message has no uploaded file');
    return serveFile(req, res, media.upload.savedPath, media.upload.mimeType || 'application/octet-stream');
  }

  /** A photo this seller uploaded. */
  private async servePhoto(req: IncomingMessage, res: ServerResponse, seller: Seller, name: string) {
    const url = `/photos/${name}`;
    if (![...seller.sent.values()].some((view) => view.mediaUrl === url))
      throw new PageError(404, 'not_found', 'Not found');
    const type = { jpg: 'image/jpeg', png: 'image/png', webp: 'image/webp' }[name.split('.').pop() ?? ''];
    return serveFile(req, res, join(this.options.photoDir, name), type ?? 'application/octet-stream');
  }
}

/** Refuses a POST sent by another site's page (the API is for this page only). */
function checkOrigin(req: IncomingMessage): void {
  const origin = req.headers.origin;
  if (origin !== undefined && origin !== `http://${req.headers.host}`)
    throw new PageError(403, 'foreign_origin', 'Requests from other sites are refused');
}

function fail(res: ServerResponse, error: unknown): void {
  if (res.headersSent) {
    res.destroy();
  } else if (error instanceof PageError) {
    sendJson(res, error.status, { error: error.code, message: error.message });
  } else {
    res.writeHead(500, { 'content-type': 'text/plain; charset=utf-8', ...securityHeaders });
    res.end(error instanceof Error ? error.message : String(error));
  }
}
