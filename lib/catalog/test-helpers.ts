/** Shared by the catalog's tests: a minimal valid model, and "what problems does this produce". */
import { stringify } from 'yaml';
import { catalogProblems, type CatalogProblem } from './problems';
import { parseCatalog } from './load';

export function minimalModel(id = 'm1'): Record<string, unknown> {
  return {
    id,
    data: {
      featureTopic: 'fraud.features',
      labelTopic: 'fraud.labels',
      labelField: 'is_fraud',
      labelMaturity: '30d',
      features: [{ name: 'amount' }, { name: 'country', type: 'categorical' }],
    },
  };
}

export function catalogText(doc: unknown): string {
  return stringify(doc);
}

export function problemsOf(text: string): readonly CatalogProblem[] {
  try {
    parseCatalog(text, 'test.yaml');
  } catch (err) {
    const problems = catalogProblems(err);
    if (problems.length === 0) throw err;
    return problems;
  }
  return [];
}
