/** What web/demo/demo.json holds: the two models and their inputs. Browser-safe (types only). */
export interface DemoConfig {
  lm: { model: string; prime: string; length: number; temperature: number; seed: number };
  /** digit: 28 steps of 28 features (row by row), values in [0, 1]. */
  cls: { model: string; digit: number[] };
}
