#include "capability/provider_frames.h"

#include <limits.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

#include <cerrno>
#include <charconv>
#include <cstring>

namespace stratus::capability::frames {
namespace {

void putU32(std::string& out, uint32_t v) {
  for (int i = 0; i < 4; ++i) out.push_back(static_cast<char>(v >> (8 * i)));
}
void putU64(std::string& out, uint64_t v) {
  for (int i = 0; i < 8; ++i) out.push_back(static_cast<char>(v >> (8 * i)));
}
uint64_t getLE(const char* p, int n) {
  uint64_t v = 0;
  for (int i = n - 1; i >= 0; --i) v = (v << 8) | static_cast<uint8_t>(p[i]);
  return v;
}

Expected<void> failure(int err, std::string_view what) {
  if (err == EPIPE || err == ECONNRESET) return fail(ErrorCode::kUnavailable, "the provider process is gone");
  return fail(ErrorCode::kIo, std::string(what) + ": " + std::strerror(err));
}

Expected<void> readAll(int fd, char* p, size_t n, bool at_frame_start) {
  size_t done = 0;
  while (done < n) {
    ssize_t r = ::read(fd, p + done, n - done);
    if (r > 0) {
      done += static_cast<size_t>(r);
    } else if (r == 0) {
      if (done == 0 && at_frame_start) return fail(ErrorCode::kUnavailable, "end of stream");
      return fail(ErrorCode::kMalformed, "frame cut short by the end of the stream");
    } else if (errno != EINTR) {
      return failure(errno, "reading a frame");
    }
  }
  return ok();
}

}  // namespace

Expected<void> write(int fd, Type type, uint64_t id, std::initializer_list<std::string_view> fields) {
  std::string head;
  size_t total = 1 + 8;
  for (auto f : fields) total += 4 + f.size();
  if (total > kMaxFrameBytes) return fail(ErrorCode::kResourceExhausted, "frame of " + std::to_string(total) + " bytes");
  putU32(head, static_cast<uint32_t>(total));
  head.push_back(static_cast<char>(type));
  putU64(head, id);
  // One sendmsg per frame: the header, then each field's length and bytes.
  std::vector<std::string> lengths(fields.size());
  std::vector<iovec> iov;
  iov.push_back({head.data(), head.size()});
  size_t i = 0;
  for (auto f : fields) {
    putU32(lengths[i], static_cast<uint32_t>(f.size()));
    iov.push_back({lengths[i].data(), 4});
    if (!f.empty()) iov.push_back({const_cast<char*>(f.data()), f.size()});
    ++i;
  }
  size_t first = 0;
  while (first < iov.size()) {
    // sendmsg with MSG_NOSIGNAL, not writev: a peer that died must be an EPIPE here, never a SIGPIPE that kills
    // the host.
    msghdr msg{};
    msg.msg_iov = iov.data() + first;
    msg.msg_iovlen = std::min<size_t>(iov.size() - first, IOV_MAX);
    ssize_t n = ::sendmsg(fd, &msg, MSG_NOSIGNAL);
    if (n < 0) {
      if (errno == EINTR) continue;
      return failure(errno, "writing a frame");
    }
    auto left = static_cast<size_t>(n);
    while (first < iov.size() && left >= iov[first].iov_len) left -= iov[first++].iov_len;
    if (first < iov.size()) {
      iov[first].iov_base = static_cast<char*>(iov[first].iov_base) + left;
      iov[first].iov_len -= left;
    }
  }
  return ok();
}

Expected<Frame> read(int fd) {
  char head[4 + 1 + 8];
  if (auto r = readAll(fd, head, 4, true); !r) return fail(r.takeError());
  const auto total = static_cast<uint32_t>(getLE(head, 4));
  if (total < 9 || total > kMaxFrameBytes) {
    return fail(ErrorCode::kMalformed, "frame length " + std::to_string(total) + " out of range");
  }
  if (auto r = readAll(fd, head + 4, 9, false); !r) return fail(r.takeError());
  std::string body(total - 9, '\0');
  if (auto r = readAll(fd, body.data(), body.size(), false); !r) return fail(r.takeError());
  Frame f;
  f.type = static_cast<Type>(static_cast<uint8_t>(head[4]));
  f.id = getLE(head + 5, 8);
  size_t at = 0;
  while (at < body.size()) {
    if (body.size() - at < 4) return fail(ErrorCode::kMalformed, "a field's length is cut short");
    const auto n = static_cast<size_t>(getLE(body.data() + at, 4));
    at += 4;
    if (body.size() - at < n) return fail(ErrorCode::kMalformed, "a field runs past its frame");
    f.fields.emplace_back(body, at, n);
    at += n;
  }
  return f;
}

Expected<void> writeReply(int fd, Type type, uint64_t id, const Expected<Bytes>& result) {
  if (result) {
    return write(fd, type, id,
                 {"ok", std::string_view(reinterpret_cast<const char*>(result->data()), result->size())});
  }
  return write(fd, type, id, {std::to_string(static_cast<int>(result.error().code)), result.error().message});
}

Expected<Bytes> replyOf(const Frame& frame) {
  if (frame.fields.size() != 2) return fail(ErrorCode::kMalformed, "a reply frame without its two fields");
  const std::string& status = frame.fields[0];
  const std::string& body = frame.fields[1];
  if (status == "ok") return Bytes(body.begin(), body.end());
  int code = -1;
  const auto [end, ec] = std::from_chars(status.data(), status.data() + status.size(), code);
  if (ec != std::errc() || end != status.data() + status.size() || code < 0 ||
      code > static_cast<int>(ErrorCode::kInternal)) {
    return fail(ErrorCode::kMalformed, "a reply with the status '" + status + "'");
  }
  return fail(static_cast<ErrorCode>(code), body);
}

}  // namespace stratus::capability::frames
