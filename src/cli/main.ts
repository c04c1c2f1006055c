#!/usr/bin/env node
/** The `shoal` command: parses arguments with commander and maps errors to exit codes. */
import { Command, CommanderError } from 'commander';
import { ShoalError } from '../errors.js';
import { registerCreate } from './create.js';
import { registerDaemon } from './daemon.js';
import { UsageError } from './errors.js';
import { registerGet } from './get.js';
import { registerInfo } from './info.js';
import { registerSeed } from './seed.js';
import { registerDht } from './dht.js';
import { registerSim } from './sim.js';
import { registerSimCompare } from './sim-compare.js';
import { registerTracker } from './tracker.js';

export const EXIT_FAILURE = 1;
export const EXIT_USAGE = 2;

function buildProgram(): Command {
  const program = new Command();
  program
    .name('shoal')
    .description('Shoal: a peer-to-peer engine that speaks BitTorrent')
    .version('0.1.0')
    .option('--verbose', 'print stack traces on errors')
    .exitOverride()
    .configureOutput({ outputError: (text, write) => write(`shoal: ${text.trimEnd().split('\n')[0].replace(/^error: /, '')} (see shoal --help)\n`) })
    .showHelpAfterError(false);
  registerCreate(program);
  registerInfo(program);
  registerGet(program);
  registerSeed(program);
  registerDht(program);
  registerSim(program);
  registerSimCompare(program);
  registerTracker(program);
  registerDaemon(program);
  for (const c of program.commands) c.exitOverride();
  return program;
}

export async function main(argv: string[]): Promise<number> {
  const program = buildProgram();
  try {
    await program.parseAsync(argv, { from: 'user' });
    return 0;
  } catch (e) {
    if (e instanceof CommanderError) {
      // Help and --version "errors" are normal exits; the message was already printed.
      if (e.code === 'commander.helpDisplayed' || e.code === 'commander.version' || e.code === 'commander.help') return 0;
      return EXIT_USAGE;
    }
    const verbose = argv.includes('--verbose');
    if (e instanceof UsageError) {
      process.stderr.write(`shoal: ${e.message}\n`);
      return EXIT_USAGE;
    }
    const message = e instanceof ShoalError ? e.message : `unexpected error: ${(e as Error)?.message ?? String(e)}`;
    process.stderr.write(`shoal: ${message.split('\n')[0]}\n`);
    if (verbose && e instanceof Error && e.stack) process.stderr.write(e.stack + '\n');
    return EXIT_FAILURE;
  }
}

main(process.argv.slice(2)).then((code) => {
  // A command may have set its own code (get/seed interrupted: 130); keep it.
  process.exitCode = code !== 0 ? code : (process.exitCode ?? 0);
});
