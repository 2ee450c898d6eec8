/** Human-readable enum names for error messages: the proto wire name, e.g. "RUNTIME_PYTHON". */
import type { DescEnum } from "@bufbuild/protobuf";

export function enumName(desc: DescEnum | Record<string, string | number>, value: number): string {
  if ("kind" in desc && desc.kind === "enum") {
    return (desc as DescEnum).values.find((v) => v.number === value)?.name ?? String(value);
  }
  const name = (desc as Record<number, string | undefined>)[value];
  return name ? name.toLowerCase() : String(value);
}
