/** `shoal create <path> -o <out.torrent>`: hashes files into a v1, v2 or hybrid torrent. */
import { renameSync, rmSync, writeFileSync } from 'node:fs';
import type { Command } from 'commander';
import cliProgress from 'cli-progress';
import { defaultPieceLength } from '../metainfo/create.js';
import { createTorrent, scanSource } from '../runtime/node/create/create-torrent.js';
import type { TorrentVersion } from '../metainfo/torrent.js';
import { UsageError } from './errors.js';
import { formatBytes, hex, parseByteSize } from './output.js';
import { checkOutputFile, describeFsError, SavePathError } from './save-path.js';

interface CreateFlags {
  output: string;
  pieceLength?: string;
  v1?: boolean;
  v2?: boolean;
  hybrid?: boolean;
  tracker: string[];
  webSeed: string[];
  private?: boolean;
  comment?: string;
  name?: string;
  threads?: string;
  date?: boolean;
}

const collect = (value: string, previous: string[]) => [...previous, value];

export function registerCreate(program: Command): void {
  program
    .command('create')
    .description('create a .torrent from a file or directory (hybrid v1+v2 by default)')
    .argument('<path>', 'file or directory to share')
    .requiredOption('-o, --output <file>', 'where to write the .torrent')
    .option('--piece-length <bytes>', 'bytes per piece (power of two, >= 16384; e.g. 262144, 256k, 1m); default from total size')
    .option('--v1', 'v1 only (BEP 3)')
    .option('--v2', 'v2 only (BEP 52)')
    .option('--hybrid', 'v1 and v2 in one torrent (default)')
    .option('--tracker <url>', 'announce URL; repeat for more (one tier each)', collect, [])
    .option('--web-seed <url>', 'web seed URL (BEP 19); repeatable', collect, [])
    .option('--private', 'set the private flag (BEP 27)')
    .option('--comment <text>', 'free-form comment')
    .option('--name <name>', 'torrent name (default: the base name of <path>)')
    .option('--threads <n>', 'hashing threads (default: cores, at most 4)')
    .option('--no-date', 'leave out the creation date (reproducible output)')
    .action(async (path: string, flags: CreateFlags) => {
      await runCreate(path, flags);
    });
}

async function runCreate(path: string, flags: CreateFlags): Promise<void> {
  const modes = [flags.v1 && 'v1', flags.v2 && 'v2', flags.hybrid && 'hybrid'].filter(Boolean) as TorrentVersion[];
  if (modes.length > 1) throw new UsageError('choose one of --v1, --v2, --hybrid');
  const version = modes[0] ?? 'hybrid';
  let pieceLength: number | undefined;
  if (flags.pieceLength !== undefined) {
    try {
      pieceLength = parseByteSize(flags.pieceLength);
    } catch (e) {
      throw new UsageError(`--piece-length: ${(e as Error).message}`);
    }
  }
  const threads = flags.threads === undefined ? undefined : Number(flags.threads);
  if (threads !== undefined && !(Number.isInteger(threads) && threads >= 0)) throw new UsageError('--threads must be a whole number');

  // Checked before hashing: a missing output directory should not cost the whole hash first.
  checkOutputFile(flags.output, `-o ${flags.output}`);
  const scanned = scanSource(path);
  const total = scanned.files.reduce((n, f) => n + f.length, 0);
  const bar = process.stderr.isTTY
    ? new cliProgress.SingleBar({ format: 'hashing [{bar}] {percentage}% | {done} / {size} | ETA {eta_formatted}', stream: process.stderr, hideCursor: true }, cliProgress.Presets.shades_classic)
    : undefined;
  bar?.start(total, 0, { done: formatBytes(0), size: formatBytes(total) });
  let result;
  try {
    result = await createTorrent(path, {
      version,
      pieceLength: pieceLength ?? defaultPieceLength(total),
      trackers: flags.tracker,
      webSeeds: flags.webSeed,
      private: flags.private,
      comment: flags.comment,
      name: flags.name,
      threads,
      creationDate: flags.date === false ? null : undefined,
      onProgress: (done) => bar?.update(Math.min(done, total), { done: formatBytes(Math.min(done, total)) }),
    });
  } finally {
    bar?.stop();
  }
  // Write atomically: a crash never leaves a half-written .torrent behind.
  const tmp = `${flags.output}.partial`;
  try {
    writeFileSync(tmp, result.bytes);
    renameSync(tmp, flags.output);
  } catch (e) {
    rmSync(tmp, { force: true });
    throw new SavePathError(`-o ${flags.output}: cannot write the torrent: ${describeFsError(e)}`, { cause: e });
  }
  const t = result.torrent;
  const lines = [
    `wrote ${flags.output} (${t.version}, ${t.pieceCount} pieces of ${formatBytes(t.pieceLength)}, ${formatBytes(t.length)})`,
    t.infoHashV1 && `info hash v1: ${hex(t.infoHashV1)}`,
    t.infoHashV2 && `info hash v2: ${hex(t.infoHashV2)}`,
  ].filter(Boolean);
  process.stdout.write(lines.join('\n') + '\n');
}
