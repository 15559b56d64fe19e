// TCP sockets for BGP sessions with what Node's `net` cannot set before the SYN:
//   TCP_MD5SIG (RFC 2385, BGPPeer.password), IP_TTL / IPV6_UNICAST_HOPS (ebgpMultiHop), SO_BINDTODEVICE (vrf).
// Surface (see src/adapters/bgp/nativeSocket.ts):
//   connect(family, peerAddress, peerPort, localAddress|null, password|null, ttl|0, device|null) -> fd
//       a non-blocking socket with the options set and connect() started (EINPROGRESS);
//   result(fd) -> null while connecting, else 0 (connected) or the errno of the failed connect;
//   close(fd).
// Once result() is 0 the caller wraps the fd with `new net.Socket({ fd })`, which owns it from then on.
#define NAPI_VERSION 8
#include <node_api.h>

#include <arpa/inet.h>
#include <errno.h>
#include <linux/tcp.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

static napi_value throw_errno(napi_env env, int err, const char* what) {
  char msg[160];
  snprintf(msg, sizeof msg, "%s: %s", what, strerror(err));
  napi_throw_error(env, err == EPERM ? "EPERM" : "ESOCKET", msg);
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
    return inet_pton(AF_INET6, text, &a->sin6_addr) == 1;
  }
  struct sockaddr_in* a = (struct sockaddr_in*)ss;
  a->sin_family = AF_INET;
  a->sin_port = htons((uint16_t)port);
  *len = sizeof *a;
  return inet_pton(AF_INET, text, &a->sin_addr) == 1;
}

static napi_value js_connect(napi_env env, napi_callback_info info) {
  size_t argc = 7;
  napi_value argv[7];
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  int32_t family = 4, port = 179, ttl = 0;
  char peer[64] = "", local[64] = "", password[TCP_MD5SIG_MAXKEYLEN + 1] = "", device[32] = "";
  napi_get_value_int32(env, argv[0], &family);
  get_string(env, argv[1], peer, sizeof peer);
  napi_get_value_int32(env, argv[2], &port);
  int has_local = get_string(env, argv[3], local, sizeof local);
  int has_password = get_string(env, argv[4], password, sizeof password);
  napi_get_value_int32(env, argv[5], &ttl);
  int has_device = get_string(env, argv[6], device, sizeof device);

  struct sockaddr_storage peer_addr, local_addr;
  socklen_t peer_len, local_len;
  if (!fill_addr(family, peer, port, &peer_addr, &peer_len)) return throw_errno(env, EINVAL, "peer address");
  if (has_local && !fill_addr(family, local, 0, &local_addr, &local_len)) return throw_errno(env, EINVAL, "source address");

  int fd = socket(family == 6 ? AF_INET6 : AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, IPPROTO_TCP);
  if (fd < 0) return throw_errno(env, errno, "socket");
  int one = 1;
  setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  if (has_device && setsockopt(fd, SOL_SOCKET, SO_BINDTODEVICE, device, (socklen_t)strlen(device)) < 0) goto fail_device;
  if (ttl > 0) {
    int rc = family == 6 ? setsockopt(fd, IPPROTO_IPV6, IPV6_UNICAST_HOPS, &ttl, sizeof ttl) : setsockopt(fd, IPPROTO_IP, IP_TTL, &ttl, sizeof ttl);
    if (rc < 0) goto fail_ttl;
  }
  if (has_password) {
    struct tcp_md5sig md5;
    memset(&md5, 0, sizeof md5);
    memcpy(&md5.tcpm_addr, &peer_addr, peer_len);
    md5.tcpm_keylen = (uint16_t)strlen(password);
    memcpy(md5.tcpm_key, password, md5.tcpm_keylen);
    if (setsockopt(fd, IPPROTO_TCP, TCP_MD5SIG, &md5, sizeof md5) < 0) goto fail_md5;
  }
  if (has_local && bind(fd, (struct sockaddr*)&local_addr, local_len) < 0) goto fail_bind;
  if (connect(fd, (struct sockaddr*)&peer_addr, peer_len) < 0 && errno != EINPROGRESS) goto fail_connect;
  napi_value out;
  napi_create_int32(env, fd, &out);
  return out;

  int err;
fail_device: err = errno; close(fd); return throw_errno(env, err, "setsockopt SO_BINDTODEVICE");
fail_ttl: err = errno; close(fd); return throw_errno(env, err, "setsockopt IP_TTL");
fail_md5: err = errno; close(fd); return throw_errno(env, err, "setsockopt TCP_MD5SIG");
fail_bind: err = errno; close(fd); return throw_errno(env, err, "bind");
fail_connect: err = errno; close(fd); return throw_errno(env, err, "connect");
}

static napi_value js_result(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1], out;
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  int32_t fd = -1;
  napi_get_value_int32(env, argv[0], &fd);
  struct pollfd p = {.fd = fd, .events = POLLOUT};
  int n = poll(&p, 1, 0);
  if (n == 0) {
    napi_get_null(env, &out);
    return out;
  }
  int err = 0;
  socklen_t len = sizeof err;
  if (n < 0) err = errno;
  else if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) < 0) err = errno;
  napi_create_int32(env, err, &out);
  return out;
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
      {"connect", NULL, js_connect, NULL, NULL, NULL, napi_default, NULL},
      {"result", NULL, js_result, NULL, NULL, NULL, napi_default, NULL},
      {"close", NULL, js_close, NULL, NULL, NULL, napi_default, NULL},
  };
  napi_define_properties(env, exports, sizeof props / sizeof props[0], props);
  return exports;
}
