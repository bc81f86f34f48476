#include "s3_xml.h"

#include <charconv>

namespace stratus::providers::s3 {
namespace {

void appendUtf8(std::string& out, uint32_t cp) {
  if (cp < 0x80) {
    out.push_back(static_cast<char>(cp));
  } else if (cp < 0x800) {
    out.push_back(static_cast<char>(0xc0 | (cp >> 6)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3f)));
  } else if (cp < 0x10000) {
    out.push_back(static_cast<char>(0xe0 | (cp >> 12)));
    out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3f)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3f)));
  } else {
    out.push_back(static_cast<char>(0xf0 | (cp >> 18)));
    out.push_back(static_cast<char>(0x80 | ((cp >> 12) & 0x3f)));
    out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3f)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3f)));
  }
}

bool nameEnds(char c) { return c == '>' || c == '/' || c == ' ' || c == '\t' || c == '\r' || c == '\n'; }

}  // namespace

std::vector<std::string_view> xmlElements(std::string_view xml, std::string_view tag) {
  std::vector<std::string_view> out;
  std::string open = "<";
  open.append(tag);
  std::string close = "</";
  close.append(tag).push_back('>');
  size_t pos = 0;
  while ((pos = xml.find(open, pos)) != std::string_view::npos) {
    const size_t after_name = pos + open.size();
    if (after_name >= xml.size() || !nameEnds(xml[after_name])) {
      pos = after_name;  // a longer tag name sharing the prefix
      continue;
    }
    const size_t gt = xml.find('>', after_name);
    if (gt == std::string_view::npos) break;
    if (xml[gt - 1] == '/') {  // <tag/> or <tag attr="…"/>
      out.emplace_back();
      pos = gt + 1;
      continue;
    }
    const size_t end = xml.find(close, gt + 1);
    if (end == std::string_view::npos) break;
    out.push_back(xml.substr(gt + 1, end - gt - 1));
    pos = end + close.size();
  }
  return out;
}

std::optional<std::string> xmlText(std::string_view xml, std::string_view tag) {
  auto all = xmlElements(xml, tag);
  if (all.empty()) return std::nullopt;
  return xmlUnescape(all.front());
}

std::string xmlUnescape(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (size_t i = 0; i < text.size(); ++i) {
    if (text[i] != '&') {
      out.push_back(text[i]);
      continue;
    }
    const size_t semi = text.find(';', i);
    if (semi == std::string_view::npos || semi - i > 12) {
      out.push_back('&');
      continue;
    }
    std::string_view entity = text.substr(i + 1, semi - i - 1);
    if (entity == "amp") {
      out.push_back('&');
    } else if (entity == "lt") {
      out.push_back('<');
    } else if (entity == "gt") {
      out.push_back('>');
    } else if (entity == "quot") {
      out.push_back('"');
    } else if (entity == "apos") {
      out.push_back('\'');
    } else if (entity.size() > 1 && entity[0] == '#') {
      const bool hex = entity[1] == 'x' || entity[1] == 'X';
      std::string_view digits = entity.substr(hex ? 2 : 1);
      uint32_t cp = 0;
      auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), cp, hex ? 16 : 10);
      if (digits.empty() || ec != std::errc() || end != digits.data() + digits.size() || cp > 0x10ffff) {
        out.append(text.substr(i, semi - i + 1));
      } else {
        appendUtf8(out, cp);
      }
    } else {
      out.append(text.substr(i, semi - i + 1));
    }
    i = semi;
  }
  return out;
}

std::string xmlEscape(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    switch (c) {
      case '&':
        out.append("&amp;");
        break;
      case '<':
        out.append("&lt;");
        break;
      case '>':
        out.append("&gt;");
        break;
      case '"':
        out.append("&quot;");
        break;
      case '\'':
        out.append("&apos;");
        break;
      default:
        out.push_back(c);
    }
  }
  return out;
}

ListPage parseListObjectsV2(std::string_view xml) {
  ListPage page;
  for (std::string_view contents : xmlElements(xml, "Contents")) {
    auto key = xmlText(contents, "Key");
    if (!key) continue;
    ListedObject o;
    o.key = std::move(*key);
    if (auto size = xmlText(contents, "Size")) {
      uint64_t v = 0;
      auto [end, ec] = std::from_chars(size->data(), size->data() + size->size(), v);
      if (ec == std::errc() && end == size->data() + size->size()) o.size = v;
    }
    page.objects.push_back(std::move(o));
  }
  // <IsTruncated> and <NextContinuationToken> sit at the top level, after (or before) the <Contents>.
  if (auto t = xmlText(xml, "IsTruncated")) page.truncated = *t == "true";
  if (auto token = xmlText(xml, "NextContinuationToken")) page.next_token = std::move(*token);
  return page;
}

std::optional<S3ErrorDoc> parseS3Error(std::string_view xml) {
  auto errors = xmlElements(xml, "Error");
  if (errors.empty()) return std::nullopt;
  auto code = xmlText(errors.front(), "Code");
  if (!code || code->empty()) return std::nullopt;
  S3ErrorDoc doc;
  doc.code = std::move(*code);
  doc.message = xmlText(errors.front(), "Message").value_or("");
  return doc;
}

}  // namespace stratus::providers::s3
