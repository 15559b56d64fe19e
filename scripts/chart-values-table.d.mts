// Types of scripts/chart-values-table.mjs for the tests that import it.
export declare const BEGIN: string;
export declare const END: string;
export declare function documentedValues(valuesYaml: string): { key: string; value: string; description: string }[];
export declare function valuesTable(valuesYaml: string): string;
export declare function withTable(readme: string, valuesYaml: string): string;
