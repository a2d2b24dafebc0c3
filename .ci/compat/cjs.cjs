// A CommonJS consumer: requires Nest and the packed build. Runs scenario.cjs.
require('reflect-metadata');
const { setTimeout, clearTimeout } = require('node:timers');
const runScenario = require('./scenario.cjs');

const watchdog = setTimeout(() => {
  console.error('the CommonJS consumer did not finish within 90 s');
  process.exit(1);
}, 90_000);

runScenario({
  common: require('@nestjs/common'),
  core: require('@nestjs/core'),
  nestTypeorm: require('@nestjs/typeorm'),
  placetopay: require('nestjs-placetopay'),
  testing: require('nestjs-placetopay/testing'),
}).then(
  () => {
    clearTimeout(watchdog);
    process.exit(0);
  },
  (error) => {
    console.error(error);
    process.exit(1);
  },
);
