// UDP sockets for BFD with what Node's dgram cannot set: a receive TTL floor (GTSM, RFC 5881 5 / RFC 5883) and
// SO_BINDTODEVICE. Linux's IP_MINTTL applies to TCP only, so the floor is a classic BPF socket filter that reads the
// TTL (hop limit) from the IP header (SKF_NET_OFF) and drops, in the kernel, every datagram below it.
// Surface (see src/adapters/bfd/udpSocket.ts):
//   open(family, localAddress|null, port, ttl, minTtl, device|null) -> fd
//       a bound UDP socket: IP_TTL / IPV6_UNICAST_HOPS = ttl (0: leave), the TTL filter when minTtl > 0,
//       IPV6_V6ONLY for family 6, SO_REUSEADDR; the caller wraps it with dgram's bind({ fd }), which owns it then;
//   filter(fd, program) replaces the socket's filter with `program`, a flat array of [code, jt, jf, k] per
//       instruction (protocols/bfd/ttlFilter.ts: a TTL floor per source address, for multihop sessions);
//   close(fd), for an fd that was never wrapped.
#define NAPI_VERSION 8
#include <node_api.h>

#include <arpa/inet.h>
#include <errno.h>
#include <linux/filter.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

static napi_value throw_errno(napi_env env, int err, const char* what) {
  char msg[160];
  snprintf(msg, sizeof msg, "%s: %s", what, strerror(err));
  napi_throw_error(env, err == EPERM ? "EPERM" : err == EADDRINUSE ? "EADDRINUSE" : "ESOCKET", msg);
  return NULL;
}

static int get_string(napi_env env, napi_value v, char* buf, size_t size) {
  napi_valuetype t;
  if (napi_typeof(env, v, &t) != napi_ok || t != napi_string) return 0;
  size_t len = 0;
  napi_get_value_string_utf8(env, v, buf, size, &len);
  return len > 0;
}

static int fill_addr(int family, const char* text, int port, struct sockaddr_storage* ss, socklen_t* len) {
  memset(ss, 0, sizeof *ss);
  if (family == 6) {
    struct sockaddr_in6* a = (struct sockaddr_in6*)ss;
    a->sin6_family = AF_INET6;
    a->sin6_port = htons((uint16_t)port);
    *len = sizeof *a;
    return text[0] == '\0' || inet_pton(AF_INET6, text, &a->sin6_addr) == 1;
  }
  struct sockaddr_in* a = (struct sockaddr_in*)ss;
  a->sin_family = AF_INET;
  a->sin_port = htons((uint16_t)port);
  *len = sizeof *a;
  return text[0] == '\0' || inet_pton(AF_INET, text, &a->sin_addr) == 1;
}

// Accept (keep the whole datagram) when the TTL / hop limit is >= min_ttl, else drop.
static int attach_ttl_filter(int fd, int family, int min_ttl) {
  struct sock_filter code[] = {
      BPF_STMT(BPF_LD | BPF_B | BPF_ABS, (uint32_t)(SKF_NET_OFF + (family == 6 ? 7 : 8))),
      BPF_JUMP(BPF_JMP | BPF_JGE | BPF_K, (uint32_t)min_ttl, 0, 1),
      BPF_STMT(BPF_RET | BPF_K, 0x40000),
      BPF_STMT(BPF_RET | BPF_K, 0),
  };
  struct sock_fprog prog = {.len = sizeof code / sizeof code[0], .filter = code};
  return setsockopt(fd, SOL_SOCKET, SO_ATTACH_FILTER, &prog, sizeof prog);
}

static napi_value js_open(napi_env env, napi_callback_info info) {
  size_t argc = 6;
  napi_value argv[6];
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  int32_t family = 4, port = 0, ttl = 0, min_ttl = 0;
  char local[64] = "", device[32] = "";
  napi_get_value_int32(env, argv[0], &family);
  get_string(env, argv[1], local, sizeof local);
  napi_get_value_int32(env, argv[2], &port);
  napi_get_value_int32(env, argv[3], &ttl);
  napi_get_value_int32(env, argv[4], &min_ttl);
  int has_device = get_string(env, argv[5], device, sizeof device);

  struct sockaddr_storage addr;
  socklen_t addr_len;
  if (!fill_addr(family, local, port, &addr, &addr_len)) return throw_errno(env, EINVAL, "local address");
  int fd = socket(family == 6 ? AF_INET6 : AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, IPPROTO_UDP);
  if (fd < 0) return throw_errno(env, errno, "socket");
  int one = 1;
  const char* failed = NULL;
  if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) < 0) failed = "setsockopt SO_REUSEADDR";
  else if (family == 6 && setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof one) < 0) failed = "setsockopt IPV6_V6ONLY";
  else if (ttl > 0 && family == 6 && setsockopt(fd, IPPROTO_IPV6, IPV6_UNICAST_HOPS, &ttl, sizeof ttl) < 0) failed = "setsockopt IPV6_UNICAST_HOPS";
  else if (ttl > 0 && family != 6 && setsockopt(fd, IPPROTO_IP, IP_TTL, &ttl, sizeof ttl) < 0) failed = "setsockopt IP_TTL";
  else if (min_ttl > 0 && attach_ttl_filter(fd, family, min_ttl) < 0) failed = "setsockopt SO_ATTACH_FILTER";
  else if (has_device && setsockopt(fd, SOL_SOCKET, SO_BINDTODEVICE, device, (socklen_t)strlen(device)) < 0) failed = "setsockopt SO_BINDTODEVICE";
  else if (bind(fd, (struct sockaddr*)&addr, addr_len) < 0) failed = "bind";
  if (failed != NULL) {
    int err = errno;
    close(fd);
    return throw_errno(env, err, failed);
  }
  napi_value out;
  napi_create_int32(env, fd, &out);
  return out;
}

#define MAX_FILTER_INSTRUCTIONS 4096

static napi_value js_filter(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2];
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  int32_t fd = -1;
  uint32_t n = 0;
  napi_get_value_int32(env, argv[0], &fd);
  if (napi_get_array_length(env, argv[1], &n) != napi_ok || n == 0 || n % 4 != 0 || n / 4 > MAX_FILTER_INSTRUCTIONS) {
    return throw_errno(env, EINVAL, "filter program");
  }
  static struct sock_filter code[MAX_FILTER_INSTRUCTIONS];
  for (uint32_t i = 0; i < n; i++) {
    napi_value v;
    uint32_t x = 0;
    napi_get_element(env, argv[1], i, &v);
    napi_get_value_uint32(env, v, &x);
    struct sock_filter* f = &code[i / 4];
    if (i % 4 == 0) f->code = (uint16_t)x;
    else if (i % 4 == 1) f->jt = (uint8_t)x;
    else if (i % 4 == 2) f->jf = (uint8_t)x;
    else f->k = x;
  }
  struct sock_fprog prog = {.len = (unsigned short)(n / 4), .filter = code};
  if (setsockopt(fd, SOL_SOCKET, SO_ATTACH_FILTER, &prog, sizeof prog) < 0) return throw_errno(env, errno, "setsockopt SO_ATTACH_FILTER");
  return NULL;
}

static napi_value js_close(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  int32_t fd = -1;
  napi_get_value_int32(env, argv[0], &fd);
  if (fd >= 0) close(fd);
  return NULL;
}

NAPI_MODULE_INIT() {
  napi_property_descriptor props[] = {
      {"open", NULL, js_open, NULL, NULL, NULL, napi_default, NULL},
      {"filter", NULL, js_filter, NULL, NULL, NULL, napi_default, NULL},
      {"close", NULL, js_close, NULL, NULL, NULL, napi_default, NULL},
  };
  napi_define_properties(env, exports, sizeof props / sizeof props[0], props);
  return exports;
}
