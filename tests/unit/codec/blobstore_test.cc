// wasmcloud:blobstore structs: byte layouts as rmp-serde writes them, and every argument shape of the 0.18 era
// (the providers' bare structs, actor-blobstore 0.1's wrappers, 0.2.0's flat snake_case arguments).
#include <gtest/gtest.h>

#include "stratus/codec/blobstore.h"
#include "stratus/codec/msgpack.h"

namespace stratus::codec {
namespace {

Bytes hex(std::string_view h) {
  Bytes out;
  for (size_t i = 0; i + 1 < h.size(); i += 2) {
    out.push_back(static_cast<uint8_t>(std::stoi(std::string(h.substr(i, 2)), nullptr, 16)));
  }
  return out;
}

TEST(BlobstoreCodecTest, ContainerAndBlobBytesMatchRmpSerde) {
  // {"id":"c"}
  EXPECT_EQ(encode(Container{"c"}), hex("81a26964a163"));
  // {"id":"o","container":{"id":"c"},"byteSize":5}
  EXPECT_EQ(encode(Blob{"o", Container{"c"}, 5}),
            hex("83a26964a16fa9636f6e7461696e657281a26964a163a86279746553697a6505"));
  // {"blobs":[]}, {"containers":[{"id":"c"}]}
  EXPECT_EQ(encode(BlobList{}), hex("81a5626c6f627390"));
  EXPECT_EQ(encode(ContainerList{{Container{"c"}}}), hex("81aa636f6e7461696e6572739181a26964a163"));
  // {"success":false,"error":"x"} and {"success":true,"error":nil}
  EXPECT_EQ(encode(BlobstoreResult{false, "x"}), hex("82a773756363657373c2a56572726f72a178"));
  EXPECT_EQ(encode(BlobstoreResult{}), hex("82a773756363657373c3a56572726f72c0"));
}

TEST(BlobstoreCodecTest, FileChunkBytesMatchRmpSerdeAndRoundTrip) {
  FileChunk c;
  c.sequence_no = 1;
  c.container = Container{"c"};
  c.id = "o";
  c.total_bytes = 3;
  c.chunk_size = 2;
  c.chunk_bytes = {7};
  // Field order of the Rust struct; None is nil; serde_bytes is bin.
  EXPECT_EQ(encode(c), hex("87"
                           "aa73657175656e63654e6f01"
                           "a9636f6e7461696e657281a26964a163"
                           "a26964a16f"
                           "aa746f74616c427974657303"
                           "a96368756e6b53697a6502"
                           "a7636f6e74657874c0"
                           "aa6368756e6b4279746573c40107"));
  c.context = "ctx";
  auto back = decodeFileChunk(encode(c));
  ASSERT_TRUE(back) << back.error().toString();
  EXPECT_EQ(back->sequence_no, 1u);
  EXPECT_EQ(back->container.id, "c");
  EXPECT_EQ(back->id, "o");
  EXPECT_EQ(back->total_bytes, 3u);
  EXPECT_EQ(back->chunk_size, 2u);
  EXPECT_EQ(back->context, "ctx");
  EXPECT_EQ(back->chunk_bytes, Bytes{7});
}

TEST(BlobstoreCodecTest, StreamRequestRoundTrips) {
  StreamRequest s{"o", Container{"c"}, 4096, std::nullopt};
  auto back = decodeStreamRequest(encode(s));
  ASSERT_TRUE(back) << back.error().toString();
  EXPECT_EQ(back->id, "o");
  EXPECT_EQ(back->container.id, "c");
  EXPECT_EQ(back->chunk_size, 4096u);
  EXPECT_FALSE(back->context);
  auto list = decodeBlobList(encode(BlobList{{Blob{"a", Container{"c"}, 1}, Blob{"b", Container{"c"}, 2}}}));
  ASSERT_TRUE(list);
  ASSERT_EQ(list->blobs.size(), 2u);
  EXPECT_EQ(list->blobs[1].id, "b");
  EXPECT_EQ(list->blobs[1].byte_size, 2u);
  auto containers = decodeContainerList(encode(ContainerList{{Container{"x"}, Container{"y"}}}));
  ASSERT_TRUE(containers);
  ASSERT_EQ(containers->containers.size(), 2u);
  EXPECT_EQ(containers->containers[1].id, "y");
  auto result = decodeBlobstoreResult(encode(BlobstoreResult{false, "disk full"}));
  ASSERT_TRUE(result);
  EXPECT_FALSE(result->success);
  EXPECT_EQ(result->error, "disk full");
}

// ListObjects, CreateContainer and RemoveContainer: Container (providers), {container: Container} (0.1 args),
// {container_id} (0.2.0 ListObjects args) and {id} (0.2.0 Create/RemoveContainer args, the same bytes as Container).
TEST(BlobstoreCodecTest, ContainerArgumentsInEveryShape) {
  Writer w;
  w.mapHeader(1).str("container").mapHeader(1).str("id").str("wrapped");
  EXPECT_EQ(decodeContainer(w.take())->id, "wrapped");
  w.mapHeader(1).str("container_id").str("flat");
  EXPECT_EQ(decodeContainer(w.take())->id, "flat");
  w.mapHeader(1).str("container").str("plain");
  EXPECT_EQ(decodeContainer(w.take())->id, "plain");
  EXPECT_EQ(decodeContainer(encode(Container{"bare"}))->id, "bare");
}

// RemoveObject and GetObjectInfo: Blob, {blob: Blob}, {id, container_id}, {blob_id, container_id}.
TEST(BlobstoreCodecTest, BlobArgumentsInEveryShape) {
  Writer w;
  w.mapHeader(1).str("blob").mapHeader(3).str("id").str("o").str("container").mapHeader(1).str("id").str("c");
  w.str("byteSize").uint(0);
  auto wrapped = decodeBlob(w.take());
  ASSERT_TRUE(wrapped) << wrapped.error().toString();
  EXPECT_EQ(wrapped->id, "o");
  EXPECT_EQ(wrapped->container.id, "c");

  w.mapHeader(2).str("id").str("o2").str("container_id").str("c2");
  auto remove_args = decodeBlob(w.take());
  ASSERT_TRUE(remove_args);
  EXPECT_EQ(remove_args->id, "o2");
  EXPECT_EQ(remove_args->container.id, "c2");

  w.mapHeader(2).str("blob_id").str("o3").str("container_id").str("c3");
  auto info_args = decodeBlob(w.take());
  ASSERT_TRUE(info_args);
  EXPECT_EQ(info_args->id, "o3");
  EXPECT_EQ(info_args->container.id, "c3");

  auto bare = decodeBlob(encode(Blob{"o4", Container{"c4"}, 9}));
  ASSERT_TRUE(bare);
  EXPECT_EQ(bare->id, "o4");
  EXPECT_EQ(bare->container.id, "c4");
  EXPECT_EQ(bare->byte_size, 9u);
}

// StartDownload: StreamRequest, {request: StreamRequest}, {blob_id, container_id, chunk_size, context}.
TEST(BlobstoreCodecTest, StreamRequestArgumentsInEveryShape) {
  Writer w;
  w.mapHeader(1).str("request");
  w.mapHeader(4).str("id").str("o").str("container").mapHeader(1).str("id").str("c");
  w.str("chunkSize").uint(10).str("context").str("k");
  auto wrapped = decodeStreamRequest(w.take());
  ASSERT_TRUE(wrapped) << wrapped.error().toString();
  EXPECT_EQ(wrapped->id, "o");
  EXPECT_EQ(wrapped->container.id, "c");
  EXPECT_EQ(wrapped->chunk_size, 10u);
  EXPECT_EQ(wrapped->context, "k");

  w.mapHeader(4).str("blob_id").str("o2").str("container_id").str("c2").str("chunk_size").uint(20);
  w.str("context").nil();
  auto flat = decodeStreamRequest(w.take());
  ASSERT_TRUE(flat) << flat.error().toString();
  EXPECT_EQ(flat->id, "o2");
  EXPECT_EQ(flat->container.id, "c2");
  EXPECT_EQ(flat->chunk_size, 20u);
  EXPECT_FALSE(flat->context);
}

// StartUpload/UploadChunk: FileChunk or {chunk: FileChunk}; chunkBytes also as str or an array of integers.
TEST(BlobstoreCodecTest, FileChunkArgumentsInEveryShape) {
  Writer w;
  w.mapHeader(1).str("chunk").mapHeader(4).str("sequenceNo").uint(2).str("id").str("o");
  w.str("container").mapHeader(1).str("id").str("c").str("chunkBytes").arrayHeader(2).uint(1).uint(2);
  auto wrapped = decodeFileChunk(w.take());
  ASSERT_TRUE(wrapped) << wrapped.error().toString();
  EXPECT_EQ(wrapped->sequence_no, 2u);
  EXPECT_EQ(wrapped->id, "o");
  EXPECT_EQ(wrapped->container.id, "c");
  EXPECT_EQ(wrapped->chunk_bytes, (Bytes{1, 2}));
  EXPECT_EQ(wrapped->total_bytes, 0u);  // absent fields take their defaults
}

TEST(BlobstoreCodecTest, ClearErrorsForBadInput) {
  auto not_map = decodeContainer(hex("a3616263"));
  ASSERT_FALSE(not_map);
  EXPECT_EQ(not_map.error().code, ErrorCode::kMalformed);
  EXPECT_NE(not_map.error().message.find("Container"), std::string::npos) << not_map.error().message;

  Writer w;
  w.mapHeader(2).str("sequenceNo").str("one").str("id").str("o");
  auto bad_field = decodeFileChunk(w.take());
  ASSERT_FALSE(bad_field);
  EXPECT_NE(bad_field.error().message.find("FileChunk.sequenceNo"), std::string::npos) << bad_field.error().message;

  w.mapHeader(1).str("container").uint(5);
  auto bad_container = decodeBlob(w.take());
  ASSERT_FALSE(bad_container);
  EXPECT_NE(bad_container.error().message.find("Blob.container"), std::string::npos) << bad_container.error().message;

  auto truncated = decodeStreamRequest(hex("82a26964"));
  ASSERT_FALSE(truncated);
  EXPECT_NE(truncated.error().message.find("StreamRequest"), std::string::npos) << truncated.error().message;

  w.mapHeader(1).str("blobs").str("nope");
  auto bad_list = decodeBlobList(w.take());
  ASSERT_FALSE(bad_list);
  EXPECT_NE(bad_list.error().message.find("BlobList.blobs"), std::string::npos) << bad_list.error().message;
}

}  // namespace
}  // namespace stratus::codec
