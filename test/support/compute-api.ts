/**
 * The control-plane RPCs behind one interface, over two transports: the gRPC client and the
 * HTTP/JSON gateway (paths written out by hand from the API reference, so the gateway is
 * checked against the contract, not against itself). Both return protobuf messages and throw
 * ConnectError, so one suite runs against both.
 */
import {
  create,
  fromJson,
  toJson,
  type DescMessage,
  type JsonObject,
  type JsonValue,
  type MessageInitShape,
  type MessageShape,
} from "@bufbuild/protobuf";
import { Code, ConnectError, createClient } from "@connectrpc/connect";
import * as pb from "../../src/gen/dodil/ignite/v1/compute_pb.js";
import type { Local } from "./local-ignite.js";

type Init<S extends DescMessage> = MessageInitShape<S>;
type Out<S extends DescMessage> = Promise<MessageShape<S>>;

export interface ComputeApi {
  createApp(r: Init<typeof pb.CreateAppRequestSchema>): Out<typeof pb.CreateAppResponseSchema>;
  getApp(r: Init<typeof pb.GetAppRequestSchema>): Out<typeof pb.GetAppResponseSchema>;
  listApps(r: Init<typeof pb.ListAppsRequestSchema>): Out<typeof pb.ListAppsResponseSchema>;
  updateAppConfig(r: Init<typeof pb.UpdateAppConfigRequestSchema>): Out<typeof pb.UpdateAppConfigResponseSchema>;
  deleteApp(r: Init<typeof pb.DeleteAppRequestSchema>): Out<typeof pb.DeleteAppResponseSchema>;
  saveDraft(r: Init<typeof pb.SaveDraftRequestSchema>): Out<typeof pb.SaveDraftResponseSchema>;
  getDraft(r: Init<typeof pb.GetDraftRequestSchema>): Out<typeof pb.GetDraftResponseSchema>;
  compileDraft(r: Init<typeof pb.CompileDraftRequestSchema>): Out<typeof pb.CompileDraftResponseSchema>;
  streamCompileLogs(r: Init<typeof pb.StreamCompileLogsRequestSchema>): Promise<pb.CompileLogLine[]>;
  publishDraft(r: Init<typeof pb.PublishDraftRequestSchema>): Out<typeof pb.PublishDraftResponseSchema>;
  listVersions(r: Init<typeof pb.ListVersionsRequestSchema>): Out<typeof pb.ListVersionsResponseSchema>;
  rollbackVersion(r: Init<typeof pb.RollbackVersionRequestSchema>): Out<typeof pb.RollbackVersionResponseSchema>;
}

export type TransportName = "grpc" | "http";

export function apiFor(kind: TransportName, t: Local, token?: string | null): ComputeApi {
  return kind === "grpc" ? grpcApi(t, token) : gatewayApi(t, token);
}

function grpcApi(t: Local, token?: string | null): ComputeApi {
  const client = () =>
    createClient(pb.ComputeService, token === undefined ? t.transport : t.transportFor(token === null ? undefined : token));
  return {
    createApp: (r) => client().createApp(r),
    getApp: (r) => client().getApp(r),
    listApps: (r) => client().listApps(r),
    updateAppConfig: (r) => client().updateAppConfig(r),
    deleteApp: (r) => client().deleteApp(r),
    saveDraft: (r) => client().saveDraft(r),
    getDraft: (r) => client().getDraft(r),
    compileDraft: (r) => client().compileDraft(r),
    async streamCompileLogs(r) {
      const lines: pb.CompileLogLine[] = [];
      for await (const line of client().streamCompileLogs(r)) lines.push(line);
      return lines;
    },
    publishDraft: (r) => client().publishDraft(r),
    listVersions: (r) => client().listVersions(r),
    rollbackVersion: (r) => client().rollbackVersion(r),
  };
}

function gatewayApi(t: Local, token?: string | null): ComputeApi {
  const app = (r: { organizationName?: string; appName?: string }) =>
    `/v1/ignite/app/${encodeURIComponent(r.organizationName ?? "")}/${encodeURIComponent(r.appName ?? "")}`;
  /** The request as pbjson minus the fields that travel in the path. */
  const body = <S extends DescMessage>(schema: S, r: Init<S>, pathFields: string[]): JsonObject => {
    const json = toJson(schema, create(schema, r)) as JsonObject;
    for (const f of pathFields) delete json[f];
    return json;
  };
  const call = async <S extends DescMessage>(out: S, method: string, path: string, payload?: JsonObject): Promise<MessageShape<S>> => {
    const res = await t.fetchJson(method, path, payload, token);
    if (res.status !== 200) throw gatewayError(res.status, res.json);
    return fromJson(out, res.json as JsonValue);
  };
  const appFields = ["organizationName", "appName"];
  return {
    createApp: (r) =>
      call(pb.CreateAppResponseSchema, "POST", `/v1/ignite/app/${encodeURIComponent(r.organizationName ?? "")}`, body(pb.CreateAppRequestSchema, r, ["organizationName"])),
    getApp: (r) => call(pb.GetAppResponseSchema, "GET", app(r)),
    listApps: (r) => {
      const q = new URLSearchParams();
      if (r.pageSize) q.set("pageSize", String(r.pageSize));
      if (r.pageToken) q.set("pageToken", r.pageToken);
      const qs = q.size > 0 ? `?${q}` : "";
      return call(pb.ListAppsResponseSchema, "GET", `/v1/ignite/app/${encodeURIComponent(r.organizationName ?? "")}${qs}`);
    },
    updateAppConfig: (r) => call(pb.UpdateAppConfigResponseSchema, "PATCH", `${app(r)}/config`, body(pb.UpdateAppConfigRequestSchema, r, appFields)),
    deleteApp: (r) => call(pb.DeleteAppResponseSchema, "DELETE", app(r)),
    saveDraft: (r) => call(pb.SaveDraftResponseSchema, "POST", `${app(r)}/draft`, body(pb.SaveDraftRequestSchema, r, appFields)),
    getDraft: (r) => call(pb.GetDraftResponseSchema, "GET", `${app(r)}/draft`),
    compileDraft: (r) => call(pb.CompileDraftResponseSchema, "POST", `${app(r)}/draft/compile`, {}),
    async streamCompileLogs(r) {
      const res = await t.fetchJson("GET", `${app(r)}/draft/compile-logs${r.follow ? "?follow=true" : ""}`, undefined, token);
      if (res.status !== 200) throw gatewayError(res.status, res.json);
      const lines = res.text.split("\n").filter((l) => l !== "");
      return lines.map((l) => {
        const json = JSON.parse(l) as JsonObject;
        if (json.error) throw gatewayError(500, json.error);
        return fromJson(pb.CompileLogLineSchema, json);
      });
    },
    publishDraft: (r) => call(pb.PublishDraftResponseSchema, "POST", `${app(r)}/draft/publish`, {}),
    listVersions: (r) => call(pb.ListVersionsResponseSchema, "GET", `${app(r)}/versions`),
    rollbackVersion: (r) => call(pb.RollbackVersionResponseSchema, "POST", `${app(r)}/versions/${r.version ?? 0}/rollback`, {}),
  };
}

/** The gateway's `{code, message}` error body as the ConnectError a gRPC client would throw. */
export function gatewayError(status: number, json: unknown): ConnectError {
  const body = json as { code?: number; message?: string } | undefined;
  const err = new ConnectError(body?.message ?? `HTTP ${status}`, (body?.code as Code | undefined) ?? Code.Unknown);
  return Object.assign(err, { httpStatus: status });
}
