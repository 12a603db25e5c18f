/**
 * The per-deployment router: the primary pool, an optional canary pool with a traffic weight,
 * and atomic swaps. The split is deterministic: of any 100 consecutive requests exactly `weight`
 * go to the canary, spread evenly (a running error term, not a random draw), so a test can count.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { ReplicaPool } from './replica-pool.js';

export interface DeploymentRouter {
  primary: ReplicaPool;
  canary: ReplicaPool | null;
  /** Percent 0–100 of requests the canary answers. */
  canaryWeight: number;
  handle(req: IncomingMessage, res: ServerResponse): boolean;
  /** The pool the next request goes to (counts it in the split). */
  pick(): ReplicaPool;
  /** Requests routed so far to the primary and the canary. */
  routed(): { primary: number; canary: number };
}

export function createDeploymentRouter(
  primary: ReplicaPool,
  canary: ReplicaPool | null,
  canaryWeight: number,
): DeploymentRouter {
  let total = 0;
  let seen = 0;
  let toCanary = 0;
  const router: DeploymentRouter = {
    primary,
    canary,
    canaryWeight,
    handle(req, res) {
      return router.pick().handle(req, res);
    },
    pick() {
      const c = router.canary;
      let pool = router.primary;
      total++;
      if (c && router.canaryWeight > 0) {
        seen++;
        // Send to the canary whenever it is behind its share of the requests seen so far.
        if (toCanary * 100 < seen * router.canaryWeight) {
          toCanary++;
          pool = c;
        }
      }
      return pool;
    },
    routed: () => ({ primary: total - toCanary, canary: toCanary }),
  };
  return router;
}
