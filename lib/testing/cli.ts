#!/usr/bin/env node
import { startSimulatorFromCli } from './simulator-cli';

startSimulatorFromCli(process.argv.slice(2), process.env)
  .then((outcome) => {
    if ('exitCode' in outcome) {
      (outcome.exitCode === 0 ? process.stdout : process.stderr).write(outcome.output);
      process.exitCode = outcome.exitCode;
      return;
    }
    process.stdout.write(outcome.message);
    const shutdown = () => void outcome.simulator.stop().then(() => process.exit(0));
    process.once('SIGINT', shutdown);
    process.once('SIGTERM', shutdown);
  })
  .catch((error: unknown) => {
    process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
    process.exit(1);
  });
