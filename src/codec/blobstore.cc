#include "stratus/codec/blobstore.h"

#include "codec/decode_util.h"

namespace stratus::codec {
namespace {

void writeContainer(Writer& w, const Container& c) { w.mapHeader(1).str("id").str(c.id); }

void writeBlob(Writer& w, const Blob& b) {
  w.mapHeader(3).str("id").str(b.id).str("container");
  writeContainer(w, b.container);
  w.str("byteSize").uint(b.byte_size);
}

void writeOptional(Writer& w, const std::optional<std::string>& s) {
  if (s) {
    w.str(*s);
  } else {
    w.nil();
  }
}

Expected<Value> parse(std::span<const uint8_t> bytes, const std::string& context) {
  auto value = decode(bytes);
  if (!value) {
    Error e = value.takeError();
    e.message = context + ": " + e.message;
    return fail(std::move(e));
  }
  return value;
}

// The inner map of a 0.1-style argument wrapper ({container: …}, {blob: …}, {chunk: …}, {request: …}): `v` holds
// `wrapper` as a map and none of `own_fields` (which would make it the struct itself).
const Value* unwrap(const Value& v, std::string_view wrapper, std::initializer_list<std::string_view> own_fields) {
  if (v.type() != Value::Type::kMap) return nullptr;
  const Value* inner = v.find(wrapper);
  if (!inner || inner->type() != Value::Type::kMap) return nullptr;
  for (std::string_view f : own_fields) {
    if (v.find(f)) return nullptr;
  }
  return inner;
}

// A `container` field: a Container map, or (tolerated) its id as a plain string.
Expected<Container> containerField(const StructReader& r, std::string_view field) {
  const Value* f = r.raw(field);
  if (!f || f->isNil()) return Container{};
  if (f->type() == Value::Type::kStr) return Container{*f->asString(field)};
  auto inner = StructReader::of(*f, r.context() + "." + std::string(field));
  if (!inner) return fail(inner.takeError());
  Container c;
  STRATUS_FIELD(c.id, inner->str("id"));
  return c;
}

// `primary` when present, else `alternate` (the 0.2.0 snake_case argument names).
Expected<std::string> strEither(const StructReader& r, std::string_view primary, std::string_view alternate) {
  return r.has(primary) || !r.has(alternate) ? r.str(primary) : r.str(alternate);
}

Expected<uint64_t> uintEither(const StructReader& r, std::string_view primary, std::string_view alternate) {
  return r.has(primary) || !r.has(alternate) ? r.uint64(primary) : r.uint64(alternate);
}

Expected<std::optional<std::string>> optionalStr(const StructReader& r, std::string_view field) {
  if (!r.has(field)) return std::optional<std::string>();
  auto s = r.str(field);
  if (!s) return fail(s.takeError());
  return std::optional<std::string>(std::move(*s));
}

// The container of a Blob/StreamRequest: its `container` field, else the 0.2.0 `container_id` argument.
Expected<Container> ownerContainer(const StructReader& r) {
  if (r.has("container") || !r.has("container_id")) return containerField(r, "container");
  Container c;
  STRATUS_FIELD(c.id, r.str("container_id"));
  return c;
}

Expected<Container> containerFrom(const Value& v) {
  auto r = StructReader::of(v, "Container");
  if (!r) return fail(r.takeError());
  Container c;
  if (r->has("id")) {
    STRATUS_FIELD(c.id, r->str("id"));
  } else if (r->has("container")) {
    STRATUS_FIELD(c, containerField(*r, "container"));
  } else {
    STRATUS_FIELD(c.id, r->str("container_id"));
  }
  return c;
}

Expected<Blob> blobFrom(const Value& v) {
  if (const Value* inner = unwrap(v, "blob", {"id", "blob_id"})) return blobFrom(*inner);
  auto r = StructReader::of(v, "Blob");
  if (!r) return fail(r.takeError());
  Blob b;
  STRATUS_FIELD(b.id, strEither(*r, "id", "blob_id"));
  STRATUS_FIELD(b.container, ownerContainer(*r));
  STRATUS_FIELD(b.byte_size, r->uint64("byteSize"));
  return b;
}

Expected<FileChunk> fileChunkFrom(const Value& v) {
  if (const Value* inner = unwrap(v, "chunk", {"id", "sequenceNo", "chunkBytes"})) return fileChunkFrom(*inner);
  auto r = StructReader::of(v, "FileChunk");
  if (!r) return fail(r.takeError());
  FileChunk c;
  STRATUS_FIELD(c.sequence_no, r->uint64("sequenceNo"));
  STRATUS_FIELD(c.container, ownerContainer(*r));
  STRATUS_FIELD(c.id, r->str("id"));
  STRATUS_FIELD(c.total_bytes, r->uint64("totalBytes"));
  STRATUS_FIELD(c.chunk_size, r->uint64("chunkSize"));
  STRATUS_FIELD(c.context, optionalStr(*r, "context"));
  STRATUS_FIELD(c.chunk_bytes, r->bytes("chunkBytes"));
  return c;
}

Expected<StreamRequest> streamRequestFrom(const Value& v) {
  if (const Value* inner = unwrap(v, "request", {"id", "blob_id"})) return streamRequestFrom(*inner);
  auto r = StructReader::of(v, "StreamRequest");
  if (!r) return fail(r.takeError());
  StreamRequest s;
  STRATUS_FIELD(s.id, strEither(*r, "id", "blob_id"));
  STRATUS_FIELD(s.container, ownerContainer(*r));
  STRATUS_FIELD(s.chunk_size, uintEither(*r, "chunkSize", "chunk_size"));
  STRATUS_FIELD(s.context, optionalStr(*r, "context"));
  return s;
}

// Decodes the message and reads it with `from`, prefixing a msgpack error with `context`.
template <typename T, typename From>
Expected<T> decodeWith(std::span<const uint8_t> bytes, const std::string& context, From&& from) {
  auto v = parse(bytes, context);
  if (!v) return fail(v.takeError());
  return from(*v);
}

}  // namespace

Bytes encode(const Container& v) {
  Writer w;
  writeContainer(w, v);
  return w.take();
}

Bytes encode(const Blob& v) {
  Writer w;
  writeBlob(w, v);
  return w.take();
}

Bytes encode(const BlobList& v) {
  Writer w;
  w.mapHeader(1).str("blobs").arrayHeader(static_cast<uint32_t>(v.blobs.size()));
  for (const Blob& b : v.blobs) writeBlob(w, b);
  return w.take();
}

Bytes encode(const ContainerList& v) {
  Writer w;
  w.mapHeader(1).str("containers").arrayHeader(static_cast<uint32_t>(v.containers.size()));
  for (const Container& c : v.containers) writeContainer(w, c);
  return w.take();
}

Bytes encode(const FileChunk& v) {
  Writer w;
  w.mapHeader(7).str("sequenceNo").uint(v.sequence_no).str("container");
  writeContainer(w, v.container);
  w.str("id").str(v.id).str("totalBytes").uint(v.total_bytes).str("chunkSize").uint(v.chunk_size);
  w.str("context");
  writeOptional(w, v.context);
  w.str("chunkBytes").bin(v.chunk_bytes);
  return w.take();
}

Bytes encode(const StreamRequest& v) {
  Writer w;
  w.mapHeader(4).str("id").str(v.id).str("container");
  writeContainer(w, v.container);
  w.str("chunkSize").uint(v.chunk_size).str("context");
  writeOptional(w, v.context);
  return w.take();
}

Bytes encode(const BlobstoreResult& v) {
  Writer w;
  w.mapHeader(2).str("success").boolean(v.success).str("error");
  writeOptional(w, v.error);
  return w.take();
}

Expected<Container> decodeContainer(std::span<const uint8_t> bytes) {
  return decodeWith<Container>(bytes, "Container", containerFrom);
}

Expected<Blob> decodeBlob(std::span<const uint8_t> bytes) { return decodeWith<Blob>(bytes, "Blob", blobFrom); }

Expected<FileChunk> decodeFileChunk(std::span<const uint8_t> bytes) {
  return decodeWith<FileChunk>(bytes, "FileChunk", fileChunkFrom);
}

Expected<StreamRequest> decodeStreamRequest(std::span<const uint8_t> bytes) {
  return decodeWith<StreamRequest>(bytes, "StreamRequest", streamRequestFrom);
}

Expected<BlobList> decodeBlobList(std::span<const uint8_t> bytes) {
  return decodeWith<BlobList>(bytes, "BlobList", [](const Value& v) -> Expected<BlobList> {
    auto r = StructReader::of(v, "BlobList");
    if (!r) return fail(r.takeError());
    BlobList list;
    const Value* blobs = r->raw("blobs");
    if (!blobs || blobs->isNil()) return list;
    if (blobs->type() != Value::Type::kArray) {
      return fail(ErrorCode::kMalformed,
                  "BlobList.blobs: expected an array, found " + std::string(Value::typeName(blobs->type())));
    }
    for (const Value& item : blobs->items()) {
      auto b = blobFrom(item);
      if (!b) return fail(b.takeError());
      list.blobs.push_back(std::move(*b));
    }
    return list;
  });
}

Expected<ContainerList> decodeContainerList(std::span<const uint8_t> bytes) {
  return decodeWith<ContainerList>(bytes, "ContainerList", [](const Value& v) -> Expected<ContainerList> {
    auto r = StructReader::of(v, "ContainerList");
    if (!r) return fail(r.takeError());
    ContainerList list;
    const Value* containers = r->raw("containers");
    if (!containers || containers->isNil()) return list;
    if (containers->type() != Value::Type::kArray) {
      return fail(ErrorCode::kMalformed, "ContainerList.containers: expected an array, found " +
                                             std::string(Value::typeName(containers->type())));
    }
    for (const Value& item : containers->items()) {
      auto c = containerFrom(item);
      if (!c) return fail(c.takeError());
      list.containers.push_back(std::move(*c));
    }
    return list;
  });
}

Expected<BlobstoreResult> decodeBlobstoreResult(std::span<const uint8_t> bytes) {
  return detail::decodeStruct<BlobstoreResult>(bytes, "BlobstoreResult",
                                               [](const StructReader& r, BlobstoreResult& out) -> Expected<void> {
                                                 STRATUS_FIELD(out.success, r.boolean("success"));
                                                 STRATUS_FIELD(out.error, optionalStr(r, "error"));
                                                 return ok();
                                               });
}

}  // namespace stratus::codec
