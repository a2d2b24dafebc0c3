// An ESM consumer ("type": "module"): imports Nest and the packed CommonJS build, which loads the
// Nest 12 ESM packages through require(esm). Runs scenario.cjs.
import 'reflect-metadata';
import { Injectable, Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { TypeOrmModule, getDataSourceToken } from '@nestjs/typeorm';
import {
  OnPlacetoPayEvent,
  PLACETOPAY_ENTITIES,
  PLACETOPAY_MIGRATIONS,
  PlacetoPayModule,
  PlacetoPayPaymentEvent,
  PlacetoPayService,
} from 'nestjs-placetopay';
import { PlacetoPaySimulator } from 'nestjs-placetopay/testing';
import { clearTimeout, setTimeout } from 'node:timers';
import runScenario from './scenario.cjs';

const watchdog = setTimeout(() => {
  console.error('the ESM consumer did not finish within 90 s');
  process.exit(1);
}, 90_000);

try {
  await runScenario({
    common: { Injectable, Module },
    core: { NestFactory },
    nestTypeorm: { TypeOrmModule, getDataSourceToken },
    placetopay: {
      OnPlacetoPayEvent,
      PLACETOPAY_ENTITIES,
      PLACETOPAY_MIGRATIONS,
      PlacetoPayModule,
      PlacetoPayPaymentEvent,
      PlacetoPayService,
    },
    testing: { PlacetoPaySimulator },
  });
  clearTimeout(watchdog);
  process.exit(0);
} catch (error) {
  console.error(error);
  process.exit(1);
}
