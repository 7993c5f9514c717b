// The registry v2 error body: `{"errors":[{"code","message","detail"}]}`. Hostile or non-JSON bodies
// give an empty list, never an exception.
export interface RegistryErrorItem {
  readonly code: string;
  readonly message: string;
}

export function parseErrorBody(body: string): RegistryErrorItem[] {
  let doc: unknown;
  try {
    doc = JSON.parse(body);
  } catch {
    return [];
  }
  if (typeof doc !== 'object' || doc === null || !Array.isArray((doc as { errors?: unknown }).errors))
    return [];
  const items: RegistryErrorItem[] = [];
  for (const e of (doc as { errors: unknown[] }).errors.slice(0, 20)) {
    if (typeof e !== 'object' || e === null) continue;
    const { code, message } = e as { code?: unknown; message?: unknown };
    items.push({
      code: typeof code === 'string' ? code.slice(0, 100) : '',
      message: typeof message === 'string' ? message.slice(0, 300) : '',
    });
  }
  return items;
}

/** How c/image prints them: `errors:\ncode: message\n…`, shortened for one line. */
export function describeErrors(items: readonly RegistryErrorItem[]): string {
  return items.map((e) => `${e.code.toLowerCase().replace(/_/g, ' ')}: ${e.message}`).join('; ');
}
