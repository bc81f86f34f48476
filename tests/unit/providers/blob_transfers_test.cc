// The uploads table the blobstore providers share (providers/common/blob_transfers.h).
#include <gtest/gtest.h>

#include <memory>
#include <string>

#include "common/blob_transfers.h"

namespace stratus::providers {
namespace {

struct FakeUpload {
  explicit FakeUpload(std::string c) : container(std::move(c)) {}
  void abort() { aborted = true; }
  std::string container;
  bool aborted = false;
};

using Table = UploadTable<FakeUpload>;

TEST(UploadTableTest, AddFindAndReplaceAbortsTheReplacedUpload) {
  Table table;
  auto first = std::make_shared<FakeUpload>("c");
  ASSERT_TRUE(table.add("MA", "c", "o", first));
  EXPECT_EQ(table.find("MA", "c", "o"), first);
  EXPECT_EQ(table.find("MB", "c", "o"), nullptr);
  auto second = std::make_shared<FakeUpload>("c");
  ASSERT_TRUE(table.add("MA", "c", "o", second));
  EXPECT_TRUE(first->aborted);
  EXPECT_FALSE(second->aborted);
  EXPECT_EQ(table.find("MA", "c", "o"), second);
}

TEST(UploadTableTest, ForgetDropsOnlyTheUploadStillRegistered) {
  Table table;
  auto old_upload = std::make_shared<FakeUpload>("c");
  auto current = std::make_shared<FakeUpload>("c");
  ASSERT_TRUE(table.add("MA", "c", "o", old_upload));
  ASSERT_TRUE(table.add("MA", "c", "o", current));
  table.forget("MA", "c", "o", old_upload);
  EXPECT_EQ(table.find("MA", "c", "o"), current);
  table.forget("MA", "c", "o", current);
  EXPECT_EQ(table.find("MA", "c", "o"), nullptr);
  EXPECT_FALSE(current->aborted);
}

TEST(UploadTableTest, AnActorHasAtMostKMaxPerActorUploads) {
  Table table;
  for (size_t i = 0; i < Table::kMaxPerActor; ++i) {
    ASSERT_TRUE(table.add("MA", "c", "o" + std::to_string(i), std::make_shared<FakeUpload>("c")));
  }
  auto refused = table.add("MA", "c", "one-more", std::make_shared<FakeUpload>("c"));
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().code, ErrorCode::kResourceExhausted);
  EXPECT_NE(refused.error().message.find("this actor has 64 uploads in progress already"), std::string::npos)
      << refused.error().message;
  EXPECT_EQ(table.find("MA", "c", "one-more"), nullptr);
  // Another actor is not held up, and replacing one of the actor's own uploads is allowed.
  EXPECT_TRUE(table.add("MB", "c", "o", std::make_shared<FakeUpload>("c")));
  EXPECT_TRUE(table.add("MA", "c", "o0", std::make_shared<FakeUpload>("c")));
}

TEST(UploadTableTest, AbortIfAbortActorAndAbortAll) {
  Table table;
  auto a_c = std::make_shared<FakeUpload>("c");
  auto a_d = std::make_shared<FakeUpload>("d");
  auto b_c = std::make_shared<FakeUpload>("c");
  auto b_e = std::make_shared<FakeUpload>("e");
  ASSERT_TRUE(table.add("MA", "c", "o", a_c, "/root1"));
  ASSERT_TRUE(table.add("MA", "d", "o", a_d, "/root1"));
  ASSERT_TRUE(table.add("MB", "c", "o", b_c, "/root2"));
  ASSERT_TRUE(table.add("MB", "e", "o", b_e, "/root2"));

  table.abortIf([](std::string_view, const FakeUpload& u, const std::string& scope) {
    return scope == "/root1" && u.container == "c";
  });
  EXPECT_TRUE(a_c->aborted);
  EXPECT_FALSE(b_c->aborted);
  EXPECT_EQ(table.find("MA", "c", "o"), nullptr);

  table.abortActor("MA");
  EXPECT_TRUE(a_d->aborted);
  EXPECT_FALSE(b_c->aborted);
  EXPECT_EQ(table.find("MB", "c", "o"), b_c);

  table.abortAll();
  EXPECT_TRUE(b_c->aborted);
  EXPECT_TRUE(b_e->aborted);
  EXPECT_EQ(table.find("MB", "e", "o"), nullptr);
}

}  // namespace
}  // namespace stratus::providers
