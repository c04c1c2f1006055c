/** `shoal daemon --print-unit`: a systemd user unit that runs the daemon with the flags given (docs/daemon.md#running-as-a-service). */
import { resolve } from 'node:path';

/** One ExecStart word, quoted for systemd (systemd.service "Command lines"; `%` and `$` are specifiers there). */
function word(arg: string): string {
  const escaped = arg.replace(/%/g, '%%').replace(/\$/g, '$$$$');
  return /^[A-Za-z0-9_@%+=:,./-]+$/.test(escaped) ? escaped : `"${escaped.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;
}

/**
 * argv: the script and its arguments as in `process.argv.slice(1)`. The script path is made
 * absolute, `--print-unit` dropped; relative paths among the flags are the user's to fix
 * (a service starts in the home directory), so the unit says where it was printed.
 */
export function systemdUnit(node: string, argv: readonly string[], cwd = process.cwd()): string {
  const [script, ...rest] = argv;
  const args = rest.filter((a) => a !== '--print-unit');
  const exec = [resolve(node), resolve(cwd, script), ...args].map(word).join(' ');
  return [
    '# shoal daemon as a systemd user service: save as ~/.config/systemd/user/shoal.service, then',
    '#   systemctl --user daemon-reload && systemctl --user enable --now shoal',
    `# Printed by shoal daemon --print-unit in ${cwd}`,
    '[Unit]',
    'Description=Shoal BitTorrent daemon',
    '',
    '[Service]',
    'Type=exec',
    `ExecStart=${exec}`,
    `WorkingDirectory=${cwd.replace(/%/g, '%%')}`,
    'Restart=on-failure',
    'RestartSec=5',
    // SIGTERM is a clean shutdown (resume data saved); give many torrents time to stop.
    'KillSignal=SIGTERM',
    'TimeoutStopSec=60',
    '',
    '[Install]',
    'WantedBy=default.target',
    '',
  ].join('\n');
}
