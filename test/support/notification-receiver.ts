import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/** A merchant endpoint that records every notification posted to it. */
export class NotificationReceiver {
  readonly received: Array<{ contentType: string | undefined; body: Record<string, unknown> }> = [];
  private server?: Server;
  url = '';
  answerStatus = 200;

  async start(): Promise<this> {
    this.server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        this.received.push({
          contentType: req.headers['content-type'],
          body: JSON.parse(Buffer.concat(chunks).toString()),
        });
        res.writeHead(this.answerStatus);
        res.end();
      });
    });
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}/placetopay/notification`;
    return this;
  }

  async stop(): Promise<void> {
    await new Promise<void>((resolve) =>
      this.server ? this.server.close(() => resolve()) : resolve(),
    );
  }
}
