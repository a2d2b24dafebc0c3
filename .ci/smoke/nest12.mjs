// A Nest 12 (ESM) app loading the packed CommonJS build through require(esm): boots the module
// and queries a session on a loopback server.
import 'reflect-metadata';
import { Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { PlacetoPayModule, PlacetoPayClient } from 'nestjs-placetopay';
import { signNotification } from 'nestjs-placetopay/testing';
import { createServer } from 'node:http';

const server = createServer((req, res) => {
  res.writeHead(200, { 'Content-Type': 'application/json' });
  res.end(
    JSON.stringify({
      requestId: 7,
      status: {
        status: 'APPROVED',
        reason: '00',
        message: 'ok',
        date: '2024-01-01T00:00:00-05:00',
      },
      payment: [],
    }),
  );
});
await new Promise((r) => server.listen(0, '127.0.0.1', r));
const { port } = server.address();

class AppModule {}
Module({
  imports: [
    PlacetoPayModule.forRoot({
      clientOnly: true,
      login: 'l',
      secretKey: 's',
      baseUrl: `http://127.0.0.1:${port}`,
    }),
  ],
})(AppModule);

const app = await NestFactory.createApplicationContext(AppModule, { logger: ['error'] });
const info = await app.get(PlacetoPayClient).getSession(7);
if (info.status.status !== 'APPROVED') throw new Error('unexpected');
console.log(
  'nest',
  (await import('@nestjs/core/package.json', { with: { type: 'json' } })).default.version,
  'ok',
  signNotification({ requestId: 1, status: 'APPROVED', date: 'd', secretKey: 's' }).slice(0, 7),
);
await app.close();
server.close();
