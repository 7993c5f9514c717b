// YAML documents parsed with a nesting limit. The `yaml` package builds its syntax tree with
// recursive generators, so a 32 KB file of `a: b:` lines nests thousands deep and overflows the
// call stack (a RangeError, not a parse error). This drives its lexer, parser and composer
// ourselves and stops as soon as the parser's stack of open nodes passes MAX_YAML_DEPTH.
import { Composer, Lexer, LineCounter, Parser, type Document } from 'yaml';

/**
 * Far beyond any real configuration (registries.d and the mirror objects nest a handful of levels)
 * and far below what overflows the stack. yaml.v3 stops at 10,000; a file between the two is
 * refused by us and accepted by containers/image, which the error says.
 */
export const MAX_YAML_DEPTH = 500;

export class YamlDepthError extends Error {
  constructor(readonly line: number) {
    super(
      `nested more than ${MAX_YAML_DEPTH} levels deep: mirrorscope stops parsing here (containers/image allows up to 10000 levels)`,
    );
  }
}

export interface ParsedYaml {
  readonly docs: Document.Parsed[];
  readonly lineCounter: LineCounter;
  /** The line of an offset in the text. */
  lineAt(offset: number | undefined): number | null;
}

/**
 * Every document of a YAML stream, as `parseAllDocuments` would return them (errors are in each
 * document's `errors`, with `pos` offsets). Duplicate keys are NOT checked here: the `yaml` package
 * compares every key with every other (quadratic), so callers check the keys they read with a Set.
 */
export function parseYamlBounded(text: string): ParsedYaml {
  const lineCounter = new LineCounter();
  const parser = new Parser(lineCounter.addNewLine);
  lineCounter.addNewLine(0);
  const lineAt = (offset: number | undefined): number | null =>
    offset === undefined ? null : lineCounter.linePos(offset).line;
  function* tokens() {
    // Flow collections can nest inside one parser node (e.g. after an error), where the parser's
    // stack does not show it and nesting gets quadratic: their brackets are counted too. A bracket
    // inside a quoted scalar is part of the scalar's lexeme, so it is not counted.
    let flow = 0;
    for (const lexeme of new Lexer().lex(text)) {
      if (lexeme === '[' || lexeme === '{') flow++;
      else if ((lexeme === ']' || lexeme === '}') && flow > 0) flow--;
      yield* parser.next(lexeme);
      if (parser.stack.length > MAX_YAML_DEPTH || flow > MAX_YAML_DEPTH)
        throw new YamlDepthError(lineAt(parser.offset) ?? 1);
    }
    yield* parser.end();
  }
  const composer = new Composer({ uniqueKeys: false });
  const docs = Array.from(composer.compose(tokens())) as Document.Parsed[];
  return { docs, lineCounter, lineAt };
}
