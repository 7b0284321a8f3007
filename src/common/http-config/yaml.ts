// What the http_config reader needs of a positioned YAML reader. Declared here, below config/, so
// this room imports nothing above it: config/yaml-reader's YamlFile and Node fit these shapes.

/** A YAML value with where it was written. */
export interface ConfigNode {
  kind: 'map' | 'seq' | 'scalar' | 'null';
  entries?: { key: string; keyNode: ConfigNode; value: ConfigNode }[];
  items?: ConfigNode[];
  value?: string | number | boolean | Uint8Array;
  line: number;
  col: number;
  tag?: string;
}

/** Strict typed reads of YAML values; `fail` throws the file:line:col error. */
export interface ConfigReader {
  fail(n: ConfigNode | undefined, message: string): never;
  map(n: ConfigNode, typeName: string, allowed: readonly string[]): Map<string, ConfigNode>;
  str(n: ConfigNode | undefined, what: string, dflt?: string): string;
  bool(n: ConfigNode | undefined, what: string, dflt: boolean): boolean;
  strings(n: ConfigNode | undefined, what: string): string[];
}
