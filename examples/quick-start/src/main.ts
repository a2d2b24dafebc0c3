// src/main.ts
import { NestFactory } from '@nestjs/core';
import { PlacetoPayExceptionFilter } from 'nestjs-placetopay';
import { AppModule } from './app.module.js';

async function bootstrap() {
  const app = await NestFactory.create(AppModule);
  app.enableShutdownHooks(); // on SIGTERM, the module first finishes what it holds
  app.useGlobalFilters(new PlacetoPayExceptionFilter()); // library errors -> 400/404/409/502/503
  await app.listen(process.env.PORT ?? 3000);
}
void bootstrap();
