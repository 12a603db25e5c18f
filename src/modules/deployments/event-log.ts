/** A bounded in-memory log of what happened to each deployment (loads, swaps, failures). */
export interface DeploymentEvent {
  at: string;
  level: 'info' | 'warn' | 'error';
  message: string;
}

const KEEP = 200;

export function createEventLog() {
  const byName = new Map<string, DeploymentEvent[]>();
  return {
    add(name: string, level: DeploymentEvent['level'], message: string) {
      let list = byName.get(name);
      if (!list) byName.set(name, (list = []));
      list.push({ at: new Date().toISOString(), level, message });
      if (list.length > KEEP) list.splice(0, list.length - KEEP);
    },
    list: (name: string): DeploymentEvent[] => (byName.get(name) ?? []).slice(),
    drop: (name: string) => void byName.delete(name),
  };
}
