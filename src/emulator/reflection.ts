/**
 * gRPC server reflection (grpc.reflection.v1), so `grpcurl` and `buf curl` work against the
 * local Ignite without `-proto` (the platform pages' grpcurl reference relies on reflection).
 *
 * connect-es has no reflection service (connect-es#507), and the gRPC team's @grpc/reflection
 * rebuilds descriptors through protobufjs and drops their imports (grpc-node#3034), so grpcurl
 * cannot resolve google.protobuf.FieldMask. This answers from the exact FileDescriptorProtos
 * protobuf-es generated src/gen from, dependencies included, as Go's grpcreflect does.
 */
import { create, toBinary, type DescFile } from "@bufbuild/protobuf";
import { FileDescriptorProtoSchema } from "@bufbuild/protobuf/wkt";
import type { ServiceImpl } from "@connectrpc/connect";
import { ComputeService, file_dodil_ignite_v1_compute } from "../gen/dodil/ignite/v1/compute_pb.js";
import {
  ServerReflection,
  ServerReflectionResponseSchema,
  type ServerReflectionRequest,
  type ServerReflectionResponse,
} from "../gen/grpc/reflection/v1/reflection_pb.js";

const NOT_FOUND = 5;
const UNIMPLEMENTED = 12;

/** The reflection service for the files of `roots` and everything they import. */
export function createReflection(roots: DescFile[] = [file_dodil_ignite_v1_compute]): ServiceImpl<typeof ServerReflection> {
  const files = new Map<string, DescFile>();
  const add = (f: DescFile): void => {
    if (files.has(f.name)) return;
    files.set(f.name, f);
    f.dependencies.forEach(add);
  };
  roots.forEach(add);
  const reflectionFile = ServerReflection.file;
  add(reflectionFile);

  // Every fully-qualified symbol (messages, enums, services, methods, extensions) → its file.
  const symbols = new Map<string, DescFile>();
  for (const file of files.values()) {
    for (const t of [...file.messages, ...file.enums, ...file.extensions]) addType(t, file, symbols);
    for (const s of file.services) {
      symbols.set(s.typeName, file);
      for (const m of s.methods) symbols.set(`${s.typeName}.${m.name}`, file);
    }
  }
  const encoded = new Map<string, Uint8Array>();
  const bytesOf = (f: DescFile): Uint8Array => {
    let b = encoded.get(f.name);
    if (!b) encoded.set(f.name, (b = toBinary(FileDescriptorProtoSchema, f.proto)));
    return b;
  };
  /** The file first, then what it imports, transitively. */
  const withDependencies = (f: DescFile): Uint8Array[] => {
    const out: DescFile[] = [];
    const visit = (x: DescFile): void => {
      if (out.includes(x)) return;
      out.push(x);
      x.dependencies.forEach(visit);
    };
    visit(f);
    return out.map(bytesOf);
  };

  const answer = (req: ServerReflectionRequest): ServerReflectionResponse => {
    const base = { validHost: req.host, originalRequest: req };
    const error = (code: number, message: string) =>
      create(ServerReflectionResponseSchema, { ...base, messageResponse: { case: "errorResponse", value: { errorCode: code, errorMessage: message } } });
    const files_ = (f: DescFile | undefined, what: string) =>
      f
        ? create(ServerReflectionResponseSchema, { ...base, messageResponse: { case: "fileDescriptorResponse", value: { fileDescriptorProto: withDependencies(f) } } })
        : error(NOT_FOUND, `${what} not found`);
    switch (req.messageRequest.case) {
      case "listServices":
        return create(ServerReflectionResponseSchema, {
          ...base,
          messageResponse: { case: "listServicesResponse", value: { service: [{ name: ComputeService.typeName }, { name: ServerReflection.typeName }] } },
        });
      case "fileByFilename":
        return files_(files.get(req.messageRequest.value), `file ${req.messageRequest.value}`);
      case "fileContainingSymbol":
        return files_(symbols.get(req.messageRequest.value.replace(/^\./, "")), `symbol ${req.messageRequest.value}`);
      case "fileContainingExtension":
      case "allExtensionNumbersOfType":
        // The contract declares no extensions of its own messages.
        return error(NOT_FOUND, "no extensions are declared");
      default:
        return error(UNIMPLEMENTED, "unknown reflection request");
    }
  };

  return {
    async *serverReflectionInfo(requests) {
      for await (const req of requests) yield answer(req);
    },
  };
}

function addType(t: { typeName: string; kind: string; nestedMessages?: unknown[]; nestedEnums?: unknown[] }, file: DescFile, into: Map<string, DescFile>): void {
  into.set(t.typeName, file);
  for (const n of [...((t.nestedMessages ?? []) as Array<typeof t>), ...((t.nestedEnums ?? []) as Array<typeof t>)]) addType(n, file, into);
}
