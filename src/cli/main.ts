#!/usr/bin/env node
/** The `shoal` command: parses arguments with commander and maps errors to exit codes. */
import { Command, CommanderError } from 'commander';
import { ShoalError } from '../errors.js';
import { UsageError } from './errors.js';

export const EXIT_FAILURE = 1;
export const EXIT_USAGE = 2;

type Register = (program: Command) => void;

/**
 * Each command's module, loaded on demand: `shoal get` should not pay for loading the daemon's
 * HTTP server, the simulator and the overlays (about 0.25 s of CPU at every start).
 */
const COMMANDS: readonly (readonly [name: string, load: () => Promise<Register[]>])[] = [
  ['create', async () => [(await import('./create.js')).registerCreate]],
  ['info', async () => [(await import('./info.js')).registerInfo]],
  ['get', async () => [(await import('./get.js')).registerGet]],
  ['seed', async () => [(await import('./seed.js')).registerSeed]],
  ['dht', async () => [(await import('./dht.js')).registerDht]],
  ['sim', async () => [(await import('./sim.js')).registerSim, (await import('./sim-compare.js')).registerSimCompare, (await import('./sim-search.js')).registerSimSearch, (await import('./sim-sybil.js')).registerSimSybil, (await import('./sim-churn.js')).registerSimChurn]],
  ['tracker', async () => [(await import('./tracker.js')).registerTracker]],
  ['daemon', async () => [(await import('./daemon.js')).registerDaemon]],
];

/** The modules of the command `argv` names, or of every command (help, an unknown name). */
async function loadCommands(argv: readonly string[]): Promise<Register[]> {
  const name = argv.find((a) => !a.startsWith('-'));
  const one = COMMANDS.find(([n]) => n === name);
  const chosen = one ? [one] : COMMANDS;
  return (await Promise.all(chosen.map(([, load]) => load()))).flat();
}

function buildProgram(commands: readonly Register[]): Command {
  const program = new Command();
  program
    .name('shoal')
    .description('Shoal: a peer-to-peer engine that speaks BitTorrent')
    .version('0.1.0')
    .option('--verbose', 'print stack traces on errors')
    .exitOverride()
    .configureOutput({ outputError: (text, write) => write(`shoal: ${text.trimEnd().split('\n')[0].replace(/^error: /, '')} (see shoal --help)\n`) })
    .showHelpAfterError(false);
  for (const register of commands) register(program);
  for (const c of program.commands) c.exitOverride();
  return program;
}

export async function main(argv: string[]): Promise<number> {
  const program = buildProgram(await loadCommands(argv));
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

/** After a command has finished, how long something left open may keep the process alive. */
const EXIT_GRACE_MS = 2000;

main(process.argv.slice(2)).then((code) => {
  // A command may have set its own code (get/seed interrupted: 130); keep it.
  process.exitCode = code !== 0 ? code : (process.exitCode ?? 0);
  // Every command closes what it opened; should a socket or timer slip through, the command
  // is still over: exit rather than hang. (unref: this timer alone keeps nothing alive.)
  setTimeout(() => process.exit(), EXIT_GRACE_MS).unref();
});
