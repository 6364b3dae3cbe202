import * as http from 'http';
import * as path from 'path';
import { promises as fs } from 'fs';
import { AddressInfo } from 'net';

/** A static file server on 127.0.0.1 for serving tests: `routes` maps a URL prefix to a directory. */
export interface StaticServer {
  url: string;
  /** Bodies POSTed to /result (the browser page reports there). */
  results: Promise<string>;
  close(): Promise<void>;
}

const TYPES: Record<string, string> = {
  '.html': 'text/html',
  '.js': 'text/javascript',
  '.wasm': 'application/wasm',
  '.json': 'application/json',
};

export async function startStaticServer(routes: Record<string, string>, pages: Record<string, string> = {}): Promise<StaticServer> {
  let deliver: (body: string) => void = () => undefined;
  const results = new Promise<string>((resolve) => (deliver = resolve));
  const server = http.createServer(async (req, res) => {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    if (req.method === 'POST' && url.pathname === '/result') {
      const chunks: Buffer[] = [];
      for await (const c of req) chunks.push(c as Buffer);
      res.end('ok');
      deliver(Buffer.concat(chunks).toString('utf8'));
      return;
    }
    if (pages[url.pathname] !== undefined) {
      res.setHeader('content-type', TYPES[path.extname(url.pathname)] ?? 'text/html');
      res.end(pages[url.pathname]);
      return;
    }
    // like any static server: the URL path is percent-decoded back to the file name
    const pathname = decodeURIComponent(url.pathname);
    for (const [prefix, dir] of Object.entries(routes)) {
      if (!pathname.startsWith(prefix)) continue;
      const file = path.join(dir, pathname.slice(prefix.length));
      if (!file.startsWith(dir)) break;
      try {
        const body = await fs.readFile(file);
        res.setHeader('content-type', TYPES[path.extname(file)] ?? 'application/octet-stream');
        res.end(body);
        return;
      } catch {
        break;
      }
    }
    res.statusCode = 404;
    res.end('not found');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    results,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
