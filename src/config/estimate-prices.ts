// The cost estimate's figure for a prompt target no earlier run called (app/runs/estimate.ts):
// its messages rendered for the sampled rows as the target itself renders them, about four
// characters a token (the rule the judges' size check uses), and that priced as a call would be
// (the project's own prices, else the price table). The modules load with the first estimate
// that needs them, not at start-up.
import type { ProviderService } from '../app/providers.js';
import type { PromptPricer } from '../app/runs/estimate.js';
import type { PriceFigure } from '../core/engine/estimate.js';

export function promptPricer(providers: Pick<ProviderService, 'resolve'>): PromptPricer {
  return async (projectId, target, rows, parameters) => {
    const [{ promptMessages, promptVariables }, { priceOf }, { splitModel }, { estimateTokens }] = await Promise.all([
      import('../targets/prompt.js'), import('../models/pricing.js'), import('../models/providers.js'), import('../evaluators/judge-prompt.js'),
    ]);
    const variables = promptVariables(target);
    let tokens = 0;
    let rendered = 0;
    for (const row of rows) {
      try {
        tokens += estimateTokens(await promptMessages(target, variables, row, parameters));
        rendered++;
      } catch {
        // A row whose prompt does not render fails its cell in the run, at no cost.
      }
    }
    if (rendered === 0) return null;
    const figure: PriceFigure = { rowsSampled: rendered, inputTokensPerCell: tokens / rendered };
    const maxTokens = target.params?.maxTokens;
    if (maxTokens !== undefined) figure.outputTokensPerCell = maxTokens;
    const { provider, modelId } = splitModel(target.model);
    const settings = await providers.resolve(projectId, provider).catch(() => null);
    const cost = await priceOf(provider, modelId, { input: figure.inputTokensPerCell, output: maxTokens ?? 0 }, settings?.prices);
    if (cost !== undefined) figure.costPerCell = cost;
    return figure;
  };
}
