// wasmcloud:blobstore messages (wasmCloud 0.18 era).
//
// Sources (2021): wasmCloud/actor-interfaces blobstore/blobstore.widl and blobstore/rust/src/generated.rs —
// wasmcloud-actor-blobstore 0.1 (commit 41abc9bd) and 0.2.0 (commit bfbca37b) — and the providers that served
// them, wasmCloud/capability-providers fs/src/lib.rs (wasmcloud-fs 0.3/0.4) and s3/src/lib.rs + s3.rs.
//
// The structs (rmp-serde `with_struct_map()`, keys as below):
//   Container     {id}
//   Blob          {id, container: Container, byteSize: u64}
//   BlobList      {blobs: [Blob]}                ContainerList {containers: [Container]}
//   FileChunk     {sequenceNo: u64, container: Container, id, totalBytes: u64, chunkSize: u64, context: string?,
//                  chunkBytes: bin}
//   StreamRequest {id, container: Container, chunkSize: u64, context: string?}
//   BlobstoreResult {success: bool, error: string?}  (0.2.0 only)
//
// The argument shapes differed between the generations, and the providers decoded yet another one; the decoders
// below accept all of them:
//   op                 providers (fs, s3)   actor-blobstore 0.1 args   actor-blobstore 0.2.0 args
//   CreateContainer    Container            {container: Container}     {id}
//   RemoveContainer    Container            {container: Container}     {id}
//   ListObjects        Container            {container: Container}     {container_id}
//   RemoveObject       Blob                 {blob: Blob}               {id, container_id}
//   GetObjectInfo      Blob                 {blob: Blob}               {blob_id, container_id}
//   StartUpload        FileChunk            {chunk: FileChunk}         FileChunk
//   UploadChunk        FileChunk            {chunk: FileChunk}         FileChunk
//   StartDownload      StreamRequest        {request: StreamRequest}   {blob_id, container_id, chunk_size, context}
// Replies: CreateContainer → Container, ListObjects → BlobList, GetObjectInfo → Blob; the rest were `void` in 0.1
// and BlobstoreResult in 0.2.0 (0.1 actors ignore the reply bytes, so answering BlobstoreResult suits both).
// The actor operation ReceiveChunk gets a bare FileChunk, as both providers sent it.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "stratus/common/expected.h"

namespace stratus::codec {

inline constexpr std::string_view kBlobstoreContract = "wasmcloud:blobstore";
inline constexpr std::string_view kOpCreateContainer = "CreateContainer";  ///< actor → provider
inline constexpr std::string_view kOpRemoveContainer = "RemoveContainer";  ///< actor → provider
inline constexpr std::string_view kOpRemoveObject = "RemoveObject";        ///< actor → provider
inline constexpr std::string_view kOpListObjects = "ListObjects";          ///< actor → provider
inline constexpr std::string_view kOpUploadChunk = "UploadChunk";          ///< actor → provider
inline constexpr std::string_view kOpStartDownload = "StartDownload";      ///< actor → provider
inline constexpr std::string_view kOpStartUpload = "StartUpload";          ///< actor → provider
inline constexpr std::string_view kOpGetObjectInfo = "GetObjectInfo";      ///< actor → provider
inline constexpr std::string_view kOpReceiveChunk = "ReceiveChunk";        ///< provider → actor

/// A container of blobs (a directory, an S3 bucket): {id}.
struct Container {
  std::string id;
};

/// An object in a container: {id, container, byteSize}.
struct Blob {
  std::string id;
  Container container;
  uint64_t byte_size = 0;  ///< `byteSize`
};

/// {blobs}.
struct BlobList {
  std::vector<Blob> blobs;
};

/// {containers}.
struct ContainerList {
  std::vector<Container> containers;
};

/// One piece of an object, uploaded by an actor (StartUpload, UploadChunk) or delivered to it (ReceiveChunk).
struct FileChunk {
  uint64_t sequence_no = 0;  ///< `sequenceNo`: orders the chunks of one object
  Container container;
  std::string id;            ///< the object's id
  uint64_t total_bytes = 0;  ///< `totalBytes`: size of the whole object
  uint64_t chunk_size = 0;   ///< `chunkSize`: nominal size of every chunk but the last
  std::optional<std::string> context;
  Bytes chunk_bytes;  ///< `chunkBytes`
};

/// A request to stream an object to the actor as ReceiveChunk calls: {id, container, chunkSize, context?}.
struct StreamRequest {
  std::string id;
  Container container;
  uint64_t chunk_size = 0;  ///< `chunkSize`; 0 lets the provider choose
  std::optional<std::string> context;
};

/// {success, error?}: the reply of RemoveContainer, RemoveObject, StartUpload, UploadChunk and StartDownload.
struct BlobstoreResult {
  bool success = true;
  std::optional<std::string> error;
};

/// Encoders: the provider-side shapes above, every field present (an absent optional is nil, as serde writes it).
Bytes encode(const Container& v);
Bytes encode(const Blob& v);
Bytes encode(const BlobList& v);
Bytes encode(const ContainerList& v);
Bytes encode(const FileChunk& v);
Bytes encode(const StreamRequest& v);
Bytes encode(const BlobstoreResult& v);

/// Decoders for untrusted bytes. Each accepts every argument shape of the table in this header's comment for the
/// operations that take it; a `container` field may also be a plain string. Missing fields take their defaults
/// (serde-default tolerance); kMalformed names the struct and field when one has the wrong type, and when the
/// message is not a map at all.
Expected<Container> decodeContainer(std::span<const uint8_t> bytes);
Expected<Blob> decodeBlob(std::span<const uint8_t> bytes);
Expected<BlobList> decodeBlobList(std::span<const uint8_t> bytes);
Expected<ContainerList> decodeContainerList(std::span<const uint8_t> bytes);
Expected<FileChunk> decodeFileChunk(std::span<const uint8_t> bytes);
Expected<StreamRequest> decodeStreamRequest(std::span<const uint8_t> bytes);
Expected<BlobstoreResult> decodeBlobstoreResult(std::span<const uint8_t> bytes);

}  // namespace stratus::codec
