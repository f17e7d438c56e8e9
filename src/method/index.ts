// The method's public surface: memories → persona → criteria → judgments → aggregate → report.
export * from './aggregate.ts';
export * from './call.ts';
export * from './compare.ts';
export * from './context.ts';
export * from './dimensions.ts';
export * from './generate.ts';
export * from './pipeline.ts';
export * from './profile.ts';
export * from './store.ts';
export * from './text.ts';
export * from './steps/bystander.ts';
export * from './steps/candidates.ts';
export * from './steps/criteria.ts';
export * from './steps/judge.ts';
export * from './steps/memories.ts';
export * from './steps/persona.ts';
export * from './steps/pairwise.ts';
