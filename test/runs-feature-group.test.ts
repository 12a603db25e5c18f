/**
 * A run whose input is a feature group (dataset-sourced): submit extracts the group into a new
 * dataset version holding only its features and the target, the run trains on that version, and
 * the registered model's lineage points at it. Bad combinations are clear 4xx errors.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { dialectsUnderTest } from './helpers/db.js';
import {
  createRunsTestApp,
  submit,
  uploadCode,
  uploadDataset,
  waitRun,
  type Json,
  type RunsTestApp,
} from './runs-helpers.js';

const breast = readFileSync(join(import.meta.dirname, 'fixtures/datasets/breast_cancer.csv'));
const FEATURES = ['mean radius', 'mean texture', 'worst area', 'worst smoothness'];

for (const dialect of dialectsUnderTest()) {
  describe(`runs on a feature group (${dialect})`, () => {
    let t: RunsTestApp;
    before(async () => {
      t = await createRunsTestApp(dialect);
      await uploadDataset(t, 'bc-source', breast, 'target');
      const fg = await t.app.inject({
        method: 'POST',
        url: '/api/v1/feature-groups',
        payload: {
          name: 'bc_features',
          featureList: FEATURES,
          datalakeSource: 'Dataset',
          sourceName: 'bc-source',
        },
      });
      assert.equal(fg.statusCode, 201, fg.body);
    });
    after(async () => {
      await t.close();
    });

    test('built-in GBDT trains on the extracted features; lineage names the extracted version', async () => {
      const res = await submit(t, {
        learner: 'gbdt',
        featureGroup: 'bc_features',
        params: { n_estimators: 10, max_depth: 3 },
        modelName: 'bc-fg-gbdt',
      });
      assert.equal(res.statusCode, 201, res.body);
      const submitted = res.json() as Json;
      assert.equal(submitted.featureGroup, 'bc_features');
      assert.equal(submitted.target, 'target', 'the target comes from the source dataset');
      assert.equal(submitted.dataset.name, 'bc_features');

      const version = (
        await t.app.inject({
          url: `/api/v1/datasets/${submitted.dataset.name}/versions/${submitted.dataset.version}`,
        })
      ).json() as Json;
      assert.deepEqual(
        version.columns.map((c: Json) => c.name),
        [...FEATURES, 'target'],
      );
      assert.equal(version.rowCount, 569);

      const run = await waitRun(t, submitted.id as string);
      assert.equal(run.state, 'succeeded', `${run.reason}: ${run.message}`);
      const loss = (
        await t.app.inject({ url: `/api/v1/runs/${run.id}/metrics?name=train_loss` })
      ).json() as Json[];
      assert.equal(loss.length, 10);
      const model = (await t.app.inject({ url: `/api/v1/models/${run.modelVersionId}` })).json() as Json;
      assert.deepEqual(model.lineage, {
        sourceRunId: run.id,
        datasetVersionId: submitted.dataset.id,
        parentId: null,
      });
    });

    test('user code sees only the feature columns and the target in its data files', async () => {
      const code = await uploadCode(
        t,
        'job.sh',
        'head -n 1 "$MODELYARD_DATA_TRAIN"\necho "target=$MODELYARD_TARGET"\n',
      );
      assert.equal(code.statusCode, 201, code.body);
      const res = await submit(t, {
        codeId: (code.json() as Json).id,
        command: 'sh job.sh',
        featureGroup: 'bc_features',
      });
      assert.equal(res.statusCode, 201, res.body);
      const run = await waitRun(t, (res.json() as Json).id as string);
      assert.equal(run.state, 'succeeded', `${run.reason}: ${run.message}`);
      const lines = ((await t.app.inject({ url: `/api/v1/runs/${run.id}/logs` })).json() as Json)
        .lines as Json[];
      const out = lines.filter((l) => l.stream === 'stdout').map((l) => l.text);
      assert.deepEqual(out, [[...FEATURES, 'target'].join(','), 'target=target']);
    });

    test('dataset and featureGroup together are a 400 naming featureGroup; an unknown group is a 404', async () => {
      const both = await submit(t, { learner: 'gbdt', dataset: 'bc-source', featureGroup: 'bc_features' });
      assert.equal(both.statusCode, 400, both.body);
      assert.ok(JSON.stringify(both.json()).includes('featureGroup'));
      const unknown = await submit(t, { learner: 'gbdt', featureGroup: 'no_such_group' });
      assert.equal(unknown.statusCode, 404, unknown.body);
    });
  });
}
