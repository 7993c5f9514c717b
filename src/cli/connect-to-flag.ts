// `--connect-to` on trace, agent and start: parsed once, installed for the whole process.
import { installConnectRoutes, parseConnectTo } from '../probe/connect-to.js';

export function installConnectTo(values: unknown): void {
  const list = Array.isArray(values) ? (values as string[]) : [];
  if (list.length > 0)
    installConnectRoutes({ routes: parseConnectTo(list), exclusive: false, scope: '--connect-to' });
}
