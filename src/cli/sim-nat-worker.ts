/**
 * Worker thread entry for `shoal sim nat`: runs one arm (traversal) of the scenario and posts
 * its figures back. The arms share nothing, so they run at once on separate cores.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { runNatArm, type NatRun, type NatScenarioOptions, type Traversal } from '../sim/scenarios/nat-scenario.js';

/** What the parent sends: the arm and the scenario's (cloneable) options. */
export interface NatArmJob {
  readonly traversal: Traversal;
  readonly options: Omit<NatScenarioOptions, 'wallClock' | 'onProgress'>;
  readonly progress: boolean;
}

export type NatArmMessage =
  | { readonly type: 'progress'; readonly tS: number; readonly finished: number; readonly arrived: number }
  | { readonly type: 'run'; readonly run: NatRun }
  | { readonly type: 'error'; readonly message: string };

const port = parentPort;
if (port !== null) {
  const job = workerData as NatArmJob;
  const post = (m: NatArmMessage): void => port.postMessage(m);
  runNatArm(job.traversal, {
    ...job.options,
    onProgress: job.progress ? (p) => post({ type: 'progress', tS: p.tS, finished: p.finished, arrived: p.arrived }) : undefined,
  }).then(
    (run) => post({ type: 'run', run }),
    (e: unknown) => post({ type: 'error', message: e instanceof Error ? (e.stack ?? e.message) : String(e) }),
  );
}
