// AF_PACKET sockets for Node: one raw socket per (interface, ethertype), bound so the kernel filters by protocol and
// interface; frames reach JS through uv_poll on the socket fd. Surface (see src/adapters/packet/afpacket.ts):
//   open(ifname, ethertype, filter) -> handle     start(handle, onFrame, onError?)     send(handle, frame) -> n
//   close(handle) (idempotent)     stats(handle) -> {packets, drops}     interfaceInfo(ifname) -> {ifindex, mac, hwType}
// Errors are JS Errors with code "EPERM"/"ENODEV"/... (from errno), errno, syscall and interface properties.
#define NAPI_VERSION 8
#include <node_api.h>
#include <uv.h>

#include <errno.h>
#include <linux/filter.h>
#include <linux/if_ether.h>
#include <linux/if_packet.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#define RECV_BUF_SIZE 65536
// Frames read per readable event before yielding to the loop; uv_poll is level-triggered, so the rest follow.
#define MAX_FRAMES_PER_WAKEUP 512

enum poll_state { POLL_NONE, POLL_ACTIVE, POLL_CLOSING, POLL_CLOSED };

typedef struct {
  napi_env env;
  int fd;  // -1 once closed
  int ifindex;
  char ifname[IF_NAMESIZE];
  uv_poll_t poll;
  enum poll_state state;
  int finalized;  // the JS handle was garbage-collected
  int env_gone;   // the environment is being torn down: no more N-API calls
  napi_ref self;  // while polling, the handle stays alive like any active Node handle
  napi_ref on_frame;
  napi_ref on_error;
  napi_async_context async_ctx;
  unsigned char buf[RECV_BUF_SIZE];
} psock;

static const napi_type_tag PSOCK_TAG = {0x7669706d65736830ULL, 0x6166706b74763031ULL};

#define CHECK(call)                                          \
  do {                                                       \
    if ((call) != napi_ok) {                                 \
      napi_throw_error(env, "ERR_NAPI", "N-API call failed: " #call); \
      return NULL;                                           \
    }                                                        \
  } while (0)

static napi_value make_error(napi_env env, int err, const char* syscall, const char* ifname) {
  char msg[256];
  snprintf(msg, sizeof msg, "%s on interface %s failed: %s", syscall, ifname, strerror(err));
  napi_value code, message, error, v;
  napi_create_string_utf8(env, uv_err_name(uv_translate_sys_error(err)), NAPI_AUTO_LENGTH, &code);
  napi_create_string_utf8(env, msg, NAPI_AUTO_LENGTH, &message);
  napi_create_error(env, code, message, &error);
  napi_create_int32(env, err, &v);
  napi_set_named_property(env, error, "errno", v);
  napi_create_string_utf8(env, syscall, NAPI_AUTO_LENGTH, &v);
  napi_set_named_property(env, error, "syscall", v);
  napi_create_string_utf8(env, ifname, NAPI_AUTO_LENGTH, &v);
  napi_set_named_property(env, error, "interface", v);
  return error;
}

static napi_value throw_errno(napi_env env, int err, const char* syscall, const char* ifname) {
  napi_throw(env, make_error(env, err, syscall, ifname));
  return NULL;
}

static napi_value close_and_throw(napi_env env, int fd, const char* syscall, const char* ifname) {
  int err = errno;
  close(fd);
  return throw_errno(env, err, syscall, ifname);
}

static void maybe_free(psock* s) {
  if (s->finalized && (s->state == POLL_NONE || s->state == POLL_CLOSED)) free(s);
}

static void on_poll_closed(uv_handle_t* h) {
  psock* s = (psock*)h->data;
  if (!s->env_gone) {
    napi_env env = s->env;
    napi_handle_scope scope;
    napi_open_handle_scope(env, &scope);
    if (s->self) napi_delete_reference(env, s->self);
    if (s->on_frame) napi_delete_reference(env, s->on_frame);
    if (s->on_error) napi_delete_reference(env, s->on_error);
    if (s->async_ctx) napi_async_destroy(env, s->async_ctx);
    napi_close_handle_scope(env, scope);
  }
  s->self = s->on_frame = s->on_error = NULL;
  s->async_ctx = NULL;
  s->state = POLL_CLOSED;
  maybe_free(s);
}

static void env_cleanup(void* arg);

// Stops polling and closes the fd. N-API references are released in on_poll_closed, after any running callback.
static void do_close(psock* s) {
  if (s->fd < 0) return;
  if (s->state == POLL_ACTIVE) {
    uv_poll_stop(&s->poll);
    s->state = POLL_CLOSING;
    uv_close((uv_handle_t*)&s->poll, on_poll_closed);
  }
  close(s->fd);
  s->fd = -1;
  if (!s->env_gone) napi_remove_env_cleanup_hook(s->env, env_cleanup, s);
}

static void env_cleanup(void* arg) {
  psock* s = (psock*)arg;
  s->env_gone = 1;
  do_close(s);
}

static void finalize(napi_env env, void* data, void* hint) {
  (void)env;
  (void)hint;
  psock* s = (psock*)data;
  s->finalized = 1;
  do_close(s);
  maybe_free(s);
}

// Calls `ref` with one argument; a throwing callback becomes an uncaught exception, as for any event emitter.
static void call_js(psock* s, napi_ref ref, napi_value arg) {
  napi_env env = s->env;
  napi_value fn, recv, result;
  if (napi_get_reference_value(env, ref, &fn) != napi_ok || fn == NULL) return;
  napi_get_global(env, &recv);  // make_callback needs an object receiver
  if (napi_make_callback(env, s->async_ctx, recv, fn, 1, &arg, &result) != napi_ok) {
    bool pending = false;
    napi_is_exception_pending(env, &pending);
    if (pending) {
      napi_value exc;
      napi_get_and_clear_last_exception(env, &exc);
      napi_fatal_exception(env, exc);
    }
  }
}

static void report_error(psock* s, int err, const char* syscall) {
  if (s->on_error == NULL) return;
  napi_handle_scope scope;
  napi_open_handle_scope(s->env, &scope);
  call_js(s, s->on_error, make_error(s->env, err, syscall, s->ifname));
  napi_close_handle_scope(s->env, scope);
}

static void on_readable(uv_poll_t* h, int status, int events) {
  (void)events;
  psock* s = (psock*)h->data;
  if (status < 0) {
    // libuv stops the handle on POLLERR. For a packet socket that is sk_err, set to ENETDOWN when the interface goes
    // down; reading SO_ERROR clears it, and the socket works again once the interface is back, so resume polling.
    int err = 0;
    socklen_t len = sizeof err;
    if (s->fd >= 0 && getsockopt(s->fd, SOL_SOCKET, SO_ERROR, &err, &len) == 0 && err != 0) {
      report_error(s, err, "recvfrom");
      if (s->state == POLL_ACTIVE && s->fd >= 0) uv_poll_start(&s->poll, UV_READABLE, on_readable);
    } else {
      report_error(s, -status, "poll");  // not a socket error we can clear: stay stopped rather than spin
    }
    return;
  }
  for (int i = 0; i < MAX_FRAMES_PER_WAKEUP && s->fd >= 0 && s->state == POLL_ACTIVE; i++) {
    struct sockaddr_ll from;
    socklen_t fromlen = sizeof from;
    ssize_t n = recvfrom(s->fd, s->buf, sizeof s->buf, MSG_DONTWAIT, (struct sockaddr*)&from, &fromlen);
    if (n < 0) {
      if (errno == EINTR) continue;
      if (errno != EAGAIN && errno != EWOULDBLOCK) report_error(s, errno, "recvfrom");
      return;
    }
    if (from.sll_pkttype == PACKET_OUTGOING) continue;
    napi_handle_scope scope;
    napi_open_handle_scope(s->env, &scope);
    napi_value frame;
    if (napi_create_buffer_copy(s->env, (size_t)n, s->buf, NULL, &frame) == napi_ok) call_js(s, s->on_frame, frame);
    napi_close_handle_scope(s->env, scope);
  }
}

static psock* get_psock(napi_env env, napi_value v) {
  bool ok = false;
  void* data = NULL;
  if (napi_check_object_type_tag(env, v, &PSOCK_TAG, &ok) != napi_ok || !ok ||
      napi_get_value_external(env, v, &data) != napi_ok) {
    napi_throw_type_error(env, "ERR_INVALID_ARG_TYPE", "expected a packet socket handle from open()");
    return NULL;
  }
  return (psock*)data;
}

static int get_ifname(napi_env env, napi_value v, char out[IF_NAMESIZE]) {
  size_t len = 0;  // first the full length (a copy would silently truncate), then the copy
  if (napi_get_value_string_utf8(env, v, NULL, 0, &len) != napi_ok || len == 0 || len >= IF_NAMESIZE ||
      napi_get_value_string_utf8(env, v, out, IF_NAMESIZE, &len) != napi_ok) {
    napi_throw_type_error(env, "ERR_INVALID_ARG_VALUE", "interface name must be a string of 1..15 bytes");
    return 0;
  }
  return 1;
}

// Keep only ARP requests and replies: ethertype (offset 12) 0x0806 and opcode (offset 20) 1 or 2.
static struct sock_filter ARP_FILTER[] = {
    BPF_STMT(BPF_LD | BPF_H | BPF_ABS, 12),
    BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, ETH_P_ARP, 0, 4),
    BPF_STMT(BPF_LD | BPF_H | BPF_ABS, 20),
    BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, 1, 1, 0),
    BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, 2, 0, 1),
    BPF_STMT(BPF_RET | BPF_K, 0x40000),
    BPF_STMT(BPF_RET | BPF_K, 0),
};

// Keep only ICMPv6 Neighbor Solicitations and Advertisements: ethertype 0x86dd, IPv6 next header (offset 20) 58
// with no extension header, ICMPv6 type (offset 54) 135 or 136. A load past the end of a short frame drops it.
static struct sock_filter NDP_FILTER[] = {
    BPF_STMT(BPF_LD | BPF_H | BPF_ABS, 12),
    BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, ETH_P_IPV6, 0, 6),
    BPF_STMT(BPF_LD | BPF_B | BPF_ABS, 20),
    BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, 58, 0, 4),
    BPF_STMT(BPF_LD | BPF_B | BPF_ABS, 54),
    BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, 135, 1, 0),
    BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, 136, 0, 1),
    BPF_STMT(BPF_RET | BPF_K, 0x40000),
    BPF_STMT(BPF_RET | BPF_K, 0),
};

// The filters JS may choose by name. Only these fixed programs can be attached: JS never hands the kernel a program.
static const struct {
  const char* name;
  struct sock_filter* code;
  unsigned short len;
} FILTERS[] = {
    {"arp", ARP_FILTER, sizeof ARP_FILTER / sizeof ARP_FILTER[0]},
    {"ndp", NDP_FILTER, sizeof NDP_FILTER / sizeof NDP_FILTER[0]},
};

// open()'s third argument: undefined/false/"none" (no filter), true (the ARP filter, as before) or a FILTERS name.
// Sets *out to the chosen filter's index or -1; returns 0 (with a JS TypeError pending) for anything else.
static int get_filter(napi_env env, size_t argc, napi_value arg, int* out) {
  napi_valuetype t = napi_undefined;
  *out = -1;
  if (argc < 3 || napi_typeof(env, arg, &t) != napi_ok || t == napi_undefined) return 1;
  if (t == napi_boolean) {
    bool on = false;
    napi_get_value_bool(env, arg, &on);
    *out = on ? 0 : -1;
    return 1;
  }
  char name[8];
  size_t len = 0;
  if (t == napi_string && napi_get_value_string_utf8(env, arg, name, sizeof name, &len) == napi_ok) {
    if (strcmp(name, "none") == 0) return 1;
    for (int i = 0; i < (int)(sizeof FILTERS / sizeof FILTERS[0]); i++) {
      if (strcmp(name, FILTERS[i].name) == 0) {
        *out = i;
        return 1;
      }
    }
  }
  napi_throw_type_error(env, "ERR_INVALID_ARG_VALUE", "filter must be true, false, \"none\", \"arp\" or \"ndp\"");
  return 0;
}

// The socket starts with protocol 0 (receives nothing) and gets its filter before bind() picks the protocol and
// interface, so no frame from another interface or protocol is ever queued on it.
static napi_value js_open(napi_env env, napi_callback_info info) {
  size_t argc = 3;
  napi_value argv[3] = {NULL, NULL, NULL};
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  char ifname[IF_NAMESIZE];
  uint32_t ethertype = 0;
  int filter = -1;
  if (!get_ifname(env, argv[0], ifname)) return NULL;
  if (napi_get_value_uint32(env, argv[1], &ethertype) != napi_ok || ethertype == 0 || ethertype > 0xffff) {
    napi_throw_range_error(env, "ERR_OUT_OF_RANGE", "ethertype must be an integer in 1..0xffff");
    return NULL;
  }
  if (!get_filter(env, argc, argv[2], &filter)) return NULL;

  int ifindex = (int)if_nametoindex(ifname);
  if (ifindex == 0) return throw_errno(env, errno, "if_nametoindex", ifname);
  int fd = socket(AF_PACKET, SOCK_RAW | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) return throw_errno(env, errno, "socket", ifname);
  if (filter >= 0) {
    struct sock_fprog prog = {FILTERS[filter].len, FILTERS[filter].code};
    if (setsockopt(fd, SOL_SOCKET, SO_ATTACH_FILTER, &prog, sizeof prog) < 0)
      return close_and_throw(env, fd, "setsockopt(SO_ATTACH_FILTER)", ifname);
  }
  int one = 1;  // best effort (Linux >= 4.20); on_readable also skips PACKET_OUTGOING
  (void)setsockopt(fd, SOL_PACKET, PACKET_IGNORE_OUTGOING, &one, sizeof one);
  struct sockaddr_ll sll;
  memset(&sll, 0, sizeof sll);
  sll.sll_family = AF_PACKET;
  sll.sll_protocol = htons((uint16_t)ethertype);
  sll.sll_ifindex = ifindex;
  if (bind(fd, (struct sockaddr*)&sll, sizeof sll) < 0) return close_and_throw(env, fd, "bind", ifname);

  psock* s = (psock*)calloc(1, sizeof *s);
  napi_value handle;
  if (s == NULL) return close_and_throw(env, fd, "open", ifname);
  s->env = env;
  s->fd = fd;
  s->ifindex = ifindex;
  memcpy(s->ifname, ifname, IF_NAMESIZE);
  if (napi_create_external(env, s, finalize, NULL, &handle) != napi_ok) {
    free(s);
    errno = ENOMEM;
    return close_and_throw(env, fd, "open", ifname);
  }
  napi_type_tag_object(env, handle, &PSOCK_TAG);
  napi_add_env_cleanup_hook(env, env_cleanup, s);
  return handle;
}

static napi_value js_start(napi_env env, napi_callback_info info) {
  size_t argc = 3;
  napi_value argv[3] = {NULL, NULL, NULL}, name, resource;
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  psock* s = get_psock(env, argv[0]);
  if (s == NULL) return NULL;
  if (s->fd < 0) return throw_errno(env, EBADF, "start", s->ifname);
  if (s->state != POLL_NONE) return throw_errno(env, EALREADY, "start", s->ifname);
  napi_valuetype t1 = napi_undefined, t2 = napi_undefined;
  if (argc > 1) CHECK(napi_typeof(env, argv[1], &t1));
  if (argc > 2) CHECK(napi_typeof(env, argv[2], &t2));
  if (t1 != napi_function || (t2 != napi_function && t2 != napi_undefined)) {
    napi_throw_type_error(env, "ERR_INVALID_ARG_TYPE", "start(handle, onFrame, onError?) needs functions");
    return NULL;
  }
  uv_loop_t* loop;
  CHECK(napi_get_uv_event_loop(env, &loop));
  CHECK(napi_create_object(env, &resource));
  CHECK(napi_create_string_utf8(env, "vipmesh:afpacket", NAPI_AUTO_LENGTH, &name));
  int rc = uv_poll_init(loop, &s->poll, s->fd);
  if (rc < 0) return throw_errno(env, -rc, "uv_poll_init", s->ifname);
  // From here the uv handle exists: every exit path goes through do_close, which releases the references later.
  s->poll.data = s;
  s->state = POLL_ACTIVE;
  napi_status st = napi_create_reference(env, argv[0], 1, &s->self);
  if (st == napi_ok) st = napi_create_reference(env, argv[1], 1, &s->on_frame);
  if (st == napi_ok && t2 == napi_function) st = napi_create_reference(env, argv[2], 1, &s->on_error);
  if (st == napi_ok) st = napi_async_init(env, resource, name, &s->async_ctx);
  rc = st == napi_ok ? uv_poll_start(&s->poll, UV_READABLE, on_readable) : UV_ENOMEM;
  if (rc < 0) {
    do_close(s);
    return throw_errno(env, -rc, "uv_poll_start", s->ifname);
  }
  return NULL;
}

static napi_value js_send(napi_env env, napi_callback_info info) {
  size_t argc = 2, len = 0;
  napi_value argv[2] = {NULL, NULL}, result;
  void* data = NULL;
  bool is_ta = false;
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  psock* s = get_psock(env, argv[0]);
  if (s == NULL) return NULL;
  napi_typedarray_type type = napi_int8_array;
  if (argc > 1 && napi_is_typedarray(env, argv[1], &is_ta) == napi_ok && is_ta)
    CHECK(napi_get_typedarray_info(env, argv[1], &type, &len, &data, NULL, NULL));
  if (!is_ta || type != napi_uint8_array || len < ETH_HLEN) {
    napi_throw_type_error(env, "ERR_INVALID_ARG_TYPE", "frame must be a Uint8Array of at least 14 bytes");
    return NULL;
  }
  if (s->fd < 0) return throw_errno(env, EBADF, "sendto", s->ifname);
  const unsigned char* f = (const unsigned char*)data;
  struct sockaddr_ll to;
  memset(&to, 0, sizeof to);
  to.sll_family = AF_PACKET;
  to.sll_ifindex = s->ifindex;
  to.sll_protocol = htons((uint16_t)((f[12] << 8) | f[13]));
  to.sll_halen = ETH_ALEN;
  memcpy(to.sll_addr, f, ETH_ALEN);
  ssize_t n;
  do n = sendto(s->fd, f, len, MSG_DONTWAIT, (struct sockaddr*)&to, sizeof to);
  while (n < 0 && errno == EINTR);
  if (n < 0) return throw_errno(env, errno, "sendto", s->ifname);
  CHECK(napi_create_uint32(env, (uint32_t)n, &result));
  return result;
}

static napi_value js_close(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1] = {NULL};
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  psock* s = get_psock(env, argv[0]);
  if (s != NULL) do_close(s);
  return NULL;
}

static napi_value set_u32(napi_env env, napi_value obj, const char* key, uint32_t value) {
  napi_value v;
  napi_create_uint32(env, value, &v);
  napi_set_named_property(env, obj, key, v);
  return obj;
}

// Kernel counters since the previous call (reading resets them): frames queued and frames dropped (buffer full).
static napi_value js_stats(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1] = {NULL}, obj;
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  psock* s = get_psock(env, argv[0]);
  if (s == NULL) return NULL;
  struct tpacket_stats st = {0, 0};
  socklen_t len = sizeof st;
  if (s->fd >= 0 && getsockopt(s->fd, SOL_PACKET, PACKET_STATISTICS, &st, &len) < 0)
    return throw_errno(env, errno, "getsockopt(PACKET_STATISTICS)", s->ifname);
  CHECK(napi_create_object(env, &obj));
  set_u32(env, obj, "packets", st.tp_packets);
  return set_u32(env, obj, "drops", st.tp_drops);
}

static napi_value js_interface_info(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1] = {NULL}, obj, mac;
  char ifname[IF_NAMESIZE];
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  if (!get_ifname(env, argv[0], ifname)) return NULL;
  int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return throw_errno(env, errno, "socket", ifname);
  struct ifreq ifr;
  memset(&ifr, 0, sizeof ifr);
  memcpy(ifr.ifr_name, ifname, IF_NAMESIZE);
  if (ioctl(fd, SIOCGIFINDEX, &ifr) < 0) return close_and_throw(env, fd, "ioctl(SIOCGIFINDEX)", ifname);
  uint32_t ifindex = (uint32_t)ifr.ifr_ifindex;
  if (ioctl(fd, SIOCGIFHWADDR, &ifr) < 0) return close_and_throw(env, fd, "ioctl(SIOCGIFHWADDR)", ifname);
  close(fd);
  const unsigned char* a = (const unsigned char*)ifr.ifr_hwaddr.sa_data;
  char text[18];
  snprintf(text, sizeof text, "%02x:%02x:%02x:%02x:%02x:%02x", a[0], a[1], a[2], a[3], a[4], a[5]);
  CHECK(napi_create_object(env, &obj));
  set_u32(env, obj, "ifindex", ifindex);
  set_u32(env, obj, "hwType", ifr.ifr_hwaddr.sa_family);
  CHECK(napi_create_string_utf8(env, text, NAPI_AUTO_LENGTH, &mac));
  CHECK(napi_set_named_property(env, obj, "mac", mac));
  return obj;
}

NAPI_MODULE_INIT() {
  napi_property_descriptor props[] = {
      {"open", NULL, js_open, NULL, NULL, NULL, napi_enumerable, NULL},
      {"start", NULL, js_start, NULL, NULL, NULL, napi_enumerable, NULL},
      {"send", NULL, js_send, NULL, NULL, NULL, napi_enumerable, NULL},
      {"close", NULL, js_close, NULL, NULL, NULL, napi_enumerable, NULL},
      {"stats", NULL, js_stats, NULL, NULL, NULL, napi_enumerable, NULL},
      {"interfaceInfo", NULL, js_interface_info, NULL, NULL, NULL, napi_enumerable, NULL},
  };
  if (napi_define_properties(env, exports, sizeof props / sizeof props[0], props) != napi_ok) return NULL;
  return exports;
}
