/**
 * The one migration set for both dialects, listed explicitly (no directory scanning) and applied
 * in key order. Never edit a released migration; add the next number.
 */
import * as m0001 from './0001-core.js';
import * as m0002 from './0002-datasets.js';
import * as m0003 from './0003-feature-groups.js';
import * as m0004 from './0004-registry.js';
import * as m0005 from './0005-runs.js';
import * as m0006 from './0006-deployments.js';
import * as m0007 from './0007-pipelines.js';
import * as m0008 from './0008-deployment-events-predict-jobs.js';
import * as m0009 from './0009-run-labels.js';
import * as m0010 from './0010-model-instances.js';
import * as m0011 from './0011-tuning.js';
import * as m0012 from './0012-tuning-code.js';
import * as m0013 from './0013-oran-legacy-jobs.js';

export const migrations = {
  '0001-core': m0001,
  '0002-datasets': m0002,
  '0003-feature-groups': m0003,
  '0004-registry': m0004,
  '0005-runs': m0005,
  '0006-deployments': m0006,
  '0007-pipelines': m0007,
  '0008-deployment-events-predict-jobs': m0008,
  '0009-run-labels': m0009,
  '0010-model-instances': m0010,
  '0011-tuning': m0011,
  '0012-tuning-code': m0012,
  '0013-oran-legacy-jobs': m0013,
};
