// Just enough XML for S3's replies (ListObjectsV2, errors, multipart uploads): elements found by tag name, their
// text with the five predefined entities and numeric character references decoded. Tolerant by design: unknown
// elements, attributes, namespaces, comments and whitespace are skipped; no XML library needed.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace stratus::providers::s3 {

/// The raw contents of every <tag>…</tag> (or <tag attr="…">…</tag>; <tag/> gives "") in `xml`, in document
/// order. Elements of the same name must not nest (true of the S3 elements read here).
std::vector<std::string_view> xmlElements(std::string_view xml, std::string_view tag);

/// The decoded text of the first <tag> element, or std::nullopt when there is none.
std::optional<std::string> xmlText(std::string_view xml, std::string_view tag);

/// `text` with &amp; &lt; &gt; &quot; &apos; and &#N; / &#xN; decoded (to UTF-8); unknown entities stay as written.
std::string xmlUnescape(std::string_view text);

/// `text` with & < > " ' escaped, for request bodies.
std::string xmlEscape(std::string_view text);

/// One object of a ListObjectsV2 page.
struct ListedObject {
  std::string key;
  uint64_t size = 0;
};

/// A parsed ListObjectsV2 page.
struct ListPage {
  std::vector<ListedObject> objects;
  bool truncated = false;
  std::string next_token;  ///< NextContinuationToken, when truncated
};

/// Parses a ListBucketResult. A <Contents> without <Key> is skipped; a missing or unparsable <Size> is 0.
ListPage parseListObjectsV2(std::string_view xml);

/// S3's error document: <Error><Code>…</Code><Message>…</Message></Error>.
struct S3ErrorDoc {
  std::string code;
  std::string message;
};

/// The error in `xml`, or std::nullopt when it holds no <Error> element with a <Code>.
std::optional<S3ErrorDoc> parseS3Error(std::string_view xml);

}  // namespace stratus::providers::s3
