/*
 * toxclient: a scriptable c-toxcore peer for peerkit's interop tests.
 *
 * Written against the public tox.h API of libtoxcore 0.2.18. Driven over stdin/stdout with a
 * line protocol (see docs/interop.md). Every non-empty input line gets exactly one response
 * line, "ok <command> ..." or "error <command> <reason>", in order. Asynchronous events are
 * printed one per line as they happen:
 *
 *   ready <toxid hex> <public key hex> <dht public key hex> <udp port or 0>
 *   self_connection none|tcp|udp
 *   friend_connection <friend> none|tcp|udp
 *   friend_request <public key hex> <text>
 *   message <friend> <text>
 *   file_recv <friend> <file> <size>           (accepted at once)
 *   file_done <friend> <file> <bytes> <ms> <bad>  (received; <bad> bytes off the pattern)
 *   file_sent <friend> <file> <ms>             (the peer has every chunk)
 *
 * "file_send FRIEND SIZE" offers SIZE bytes of the pattern byte(i) = (i * 31 + 7) mod 256;
 * <ms> counts from the offer (sender) or from the file_recv (receiver).
 *
 * Text is escaped both ways: "\\" for a backslash and "\xHH" for any byte below 0x20 or 0x7f.
 *
 * Options: --udp on|off, --ipv6 on|off (default off), --local-discovery on|off (default off),
 *          --port N or N-M (UDP port range; default: toxcore's), --verbose (toxcore log to
 *          stderr).
 * Exits 0 on "quit", end of input, SIGTERM or SIGINT; 1 when toxcore cannot start; 2 on bad
 * options.
 */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <tox/tox.h>

#define LINE_MAX_BYTES 16384

static volatile sig_atomic_t stop_requested = 0;

static void on_signal(int sig) {
  (void)sig;
  stop_requested = 1;
}

static const char *connection_name(Tox_Connection c) {
  switch (c) {
    case TOX_CONNECTION_TCP: return "tcp";
    case TOX_CONNECTION_UDP: return "udp";
    default: return "none";
  }
}

static void put_hex(const uint8_t *bytes, size_t n) {
  for (size_t i = 0; i < n; i++) printf("%02X", bytes[i]);
}

static void put_escaped(const uint8_t *bytes, size_t n) {
  for (size_t i = 0; i < n; i++) {
    uint8_t c = bytes[i];
    if (c == '\\') fputs("\\\\", stdout);
    else if (c < 0x20 || c == 0x7f) printf("\\x%02X", c);
    else putchar(c);
  }
}

static int nibble(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

/* Decodes exactly n bytes of hex; returns 0 on success. */
static int parse_hex(const char *s, uint8_t *out, size_t n) {
  if (s == NULL || strlen(s) != 2 * n) return -1;
  for (size_t i = 0; i < n; i++) {
    int hi = nibble(s[2 * i]), lo = nibble(s[2 * i + 1]);
    if (hi < 0 || lo < 0) return -1;
    out[i] = (uint8_t)(hi << 4 | lo);
  }
  return 0;
}

/* Undoes put_escaped in place; returns the byte length or -1 on a bad escape. */
static long unescape(char *s) {
  size_t r = 0, w = 0, n = strlen(s);
  while (r < n) {
    if (s[r] != '\\') { s[w++] = s[r++]; continue; }
    if (r + 1 < n && s[r + 1] == '\\') { s[w++] = '\\'; r += 2; continue; }
    if (r + 3 < n && s[r + 1] == 'x' && nibble(s[r + 2]) >= 0 && nibble(s[r + 3]) >= 0) {
      s[w++] = (char)(nibble(s[r + 2]) << 4 | nibble(s[r + 3]));
      r += 4;
      continue;
    }
    return -1;
  }
  return (long)w;
}

/* Cuts the next space-separated word off *p (NULL when none is left). */
static char *next_word(char **p) {
  while (**p == ' ') (*p)++;
  if (**p == '\0') return NULL;
  char *word = *p;
  while (**p != '\0' && **p != ' ') (*p)++;
  if (**p == ' ') *(*p)++ = '\0';
  return word;
}

static void on_self_connection(Tox *tox, Tox_Connection c, void *user_data) {
  (void)tox; (void)user_data;
  printf("self_connection %s\n", connection_name(c));
}

static void on_friend_connection(Tox *tox, uint32_t friend_number, Tox_Connection c, void *ud) {
  (void)tox; (void)ud;
  printf("friend_connection %u %s\n", friend_number, connection_name(c));
}

static void on_friend_request(Tox *tox, const uint8_t *pk, const uint8_t *msg, size_t len,
                              void *user_data) {
  (void)tox; (void)user_data;
  fputs("friend_request ", stdout);
  put_hex(pk, TOX_PUBLIC_KEY_SIZE);
  putchar(' ');
  put_escaped(msg, len);
  putchar('\n');
}

static void on_message(Tox *tox, uint32_t friend_number, Tox_Message_Type type,
                       const uint8_t *msg, size_t len, void *user_data) {
  (void)tox; (void)type; (void)user_data;
  printf("message %u ", friend_number);
  put_escaped(msg, len);
  putchar('\n');
}

/* One file transfer at a time per side is enough for the benchmarks. */
static double file_start_ms = 0;
static uint64_t file_bytes = 0, file_bad = 0;

static double now_ms(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (double)t.tv_sec * 1000.0 + (double)t.tv_nsec / 1e6;
}

static uint8_t pattern_byte(uint64_t i) { return (uint8_t)((i * 31u + 7u) & 0xffu); }

static void on_file_recv(Tox *tox, uint32_t friend_number, uint32_t file_number, uint32_t kind,
                         uint64_t size, const uint8_t *name, size_t name_len, void *ud) {
  (void)kind; (void)name; (void)name_len; (void)ud;
  file_start_ms = now_ms();
  file_bytes = 0;
  file_bad = 0;
  tox_file_control(tox, friend_number, file_number, TOX_FILE_CONTROL_RESUME, NULL);
  printf("file_recv %u %u %llu\n", friend_number, file_number, (unsigned long long)size);
}

static void on_file_recv_chunk(Tox *tox, uint32_t friend_number, uint32_t file_number,
                               uint64_t position, const uint8_t *data, size_t length, void *ud) {
  (void)tox; (void)ud;
  if (length == 0) {
    printf("file_done %u %u %llu %.1f %llu\n", friend_number, file_number,
           (unsigned long long)file_bytes, now_ms() - file_start_ms,
           (unsigned long long)file_bad);
    return;
  }
  for (size_t i = 0; i < length; i++) {
    if (data[i] != pattern_byte(position + i)) file_bad++;
  }
  file_bytes += length;
}

static void on_file_chunk_request(Tox *tox, uint32_t friend_number, uint32_t file_number,
                                  uint64_t position, size_t length, void *ud) {
  (void)ud;
  if (length == 0) {
    printf("file_sent %u %u %.1f\n", friend_number, file_number, now_ms() - file_start_ms);
    return;
  }
  static uint8_t chunk[TOX_MAX_CUSTOM_PACKET_SIZE];
  if (length > sizeof chunk) length = sizeof chunk;
  for (size_t i = 0; i < length; i++) chunk[i] = pattern_byte(position + i);
  tox_file_send_chunk(tox, friend_number, file_number, position, chunk, length, NULL);
}

static void on_log(Tox *tox, Tox_Log_Level level, const char *file, uint32_t line,
                   const char *func, const char *message, void *user_data) {
  (void)tox; (void)user_data;
  fprintf(stderr, "toxcore[%d] %s:%u %s: %s\n", (int)level, file, line, func, message);
}

/* Runs one command line; returns 1 when the client should quit. */
static int run_command(Tox *tox, char *line) {
  char *rest = line;
  char *cmd = next_word(&rest);
  if (cmd == NULL) return 0;
  if (strcmp(cmd, "bootstrap") == 0 || strcmp(cmd, "add_tcp_relay") == 0) {
    char *host = next_word(&rest), *port = next_word(&rest), *key = next_word(&rest);
    uint8_t pk[TOX_PUBLIC_KEY_SIZE];
    long p = port ? strtol(port, NULL, 10) : 0;
    if (host == NULL || p <= 0 || p > 65535 || parse_hex(key, pk, sizeof pk) != 0) {
      printf("error %s usage: %s HOST PORT HEXKEY\n", cmd, cmd);
      return 0;
    }
    Tox_Err_Bootstrap err;
    bool ok = cmd[0] == 'b' ? tox_bootstrap(tox, host, (uint16_t)p, pk, &err)
                            : tox_add_tcp_relay(tox, host, (uint16_t)p, pk, &err);
    if (ok) printf("ok %s\n", cmd);
    else printf("error %s code %d\n", cmd, (int)err);
  } else if (strcmp(cmd, "friend_add_norequest") == 0) {
    uint8_t pk[TOX_PUBLIC_KEY_SIZE];
    if (parse_hex(next_word(&rest), pk, sizeof pk) != 0) {
      printf("error %s usage: %s PUBLICKEYHEX\n", cmd, cmd);
      return 0;
    }
    Tox_Err_Friend_Add err;
    uint32_t n = tox_friend_add_norequest(tox, pk, &err);
    if (err == TOX_ERR_FRIEND_ADD_OK) printf("ok %s %u\n", cmd, n);
    else printf("error %s code %d\n", cmd, (int)err);
  } else if (strcmp(cmd, "friend_add") == 0) {
    uint8_t addr[TOX_ADDRESS_SIZE];
    char *id = next_word(&rest);
    long len = unescape(rest);
    if (parse_hex(id, addr, sizeof addr) != 0 || len <= 0) {
      printf("error %s usage: %s TOXIDHEX TEXT\n", cmd, cmd);
      return 0;
    }
    Tox_Err_Friend_Add err;
    uint32_t n = tox_friend_add(tox, addr, (const uint8_t *)rest, (size_t)len, &err);
    if (err == TOX_ERR_FRIEND_ADD_OK) printf("ok %s %u\n", cmd, n);
    else printf("error %s code %d\n", cmd, (int)err);
  } else if (strcmp(cmd, "send") == 0) {
    char *num = next_word(&rest);
    long len = unescape(rest);
    if (num == NULL || len <= 0) {
      printf("error %s usage: %s FRIEND TEXT\n", cmd, cmd);
      return 0;
    }
    Tox_Err_Friend_Send_Message err;
    uint32_t id = tox_friend_send_message(tox, (uint32_t)strtoul(num, NULL, 10),
                                          TOX_MESSAGE_TYPE_NORMAL, (const uint8_t *)rest,
                                          (size_t)len, &err);
    if (err == TOX_ERR_FRIEND_SEND_MESSAGE_OK) printf("ok %s %u\n", cmd, id);
    else printf("error %s code %d\n", cmd, (int)err);
  } else if (strcmp(cmd, "file_send") == 0) {
    char *num = next_word(&rest), *size = next_word(&rest);
    long long n = size ? strtoll(size, NULL, 10) : 0;
    if (num == NULL || n <= 0) {
      printf("error %s usage: %s FRIEND SIZE\n", cmd, cmd);
      return 0;
    }
    Tox_Err_File_Send err;
    file_start_ms = now_ms();
    uint32_t f = tox_file_send(tox, (uint32_t)strtoul(num, NULL, 10), TOX_FILE_KIND_DATA,
                               (uint64_t)n, NULL, (const uint8_t *)"bench", 5, &err);
    if (err == TOX_ERR_FILE_SEND_OK) printf("ok %s %u\n", cmd, f);
    else printf("error %s code %d\n", cmd, (int)err);
  } else if (strcmp(cmd, "status") == 0) {
    size_t count = tox_self_get_friend_list_size(tox);
    printf("ok status %s %zu", connection_name(tox_self_get_connection_status(tox)), count);
    uint32_t *list = calloc(count ? count : 1, sizeof *list);
    if (list != NULL) {
      tox_self_get_friend_list(tox, list);
      for (size_t i = 0; i < count; i++) {
        printf(" %u:%s", list[i], connection_name(tox_friend_get_connection_status(tox, list[i], NULL)));
      }
      free(list);
    }
    putchar('\n');
  } else if (strcmp(cmd, "quit") == 0) {
    printf("ok quit\n");
    return 1;
  } else {
    printf("error %s unknown command\n", cmd);
  }
  return 0;
}

static int on_off(const char *v, bool *out) {
  if (v != NULL && strcmp(v, "on") == 0) *out = true;
  else if (v != NULL && strcmp(v, "off") == 0) *out = false;
  else return -1;
  return 0;
}

int main(int argc, char **argv) {
  bool udp = true, ipv6 = false, lan = false, verbose = false;
  long start_port = 0, end_port = 0;
  for (int i = 1; i < argc; i++) {
    const char *v = i + 1 < argc ? argv[i + 1] : NULL;
    int bad = 0;
    if (strcmp(argv[i], "--udp") == 0) bad = on_off(v, &udp), i++;
    else if (strcmp(argv[i], "--ipv6") == 0) bad = on_off(v, &ipv6), i++;
    else if (strcmp(argv[i], "--local-discovery") == 0) bad = on_off(v, &lan), i++;
    else if (strcmp(argv[i], "--verbose") == 0) verbose = true;
    else if (strcmp(argv[i], "--port") == 0 && v != NULL) {
      char *end;
      start_port = end_port = strtol(v, &end, 10);
      if (*end == '-') end_port = strtol(end + 1, &end, 10);
      bad = *end != '\0' || start_port < 1 || end_port < start_port || end_port > 65535;
      i++;
    } else bad = 1;
    if (bad) {
      fprintf(stderr, "toxclient: bad option near '%s'\n", argv[i < argc ? i : argc - 1]);
      return 2;
    }
  }

  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = on_signal; /* no SA_RESTART: poll() returns EINTR at once */
  sigaction(SIGTERM, &sa, NULL);
  sigaction(SIGINT, &sa, NULL);
  signal(SIGPIPE, SIG_IGN);

  struct Tox_Options *opts = tox_options_new(NULL);
  if (opts == NULL) return 1;
  tox_options_set_udp_enabled(opts, udp);
  tox_options_set_ipv6_enabled(opts, ipv6);
  tox_options_set_local_discovery_enabled(opts, lan);
  tox_options_set_start_port(opts, (uint16_t)start_port);
  tox_options_set_end_port(opts, (uint16_t)end_port);
  if (verbose) tox_options_set_log_callback(opts, on_log);
  Tox_Err_New err;
  Tox *tox = tox_new(opts, &err);
  tox_options_free(opts);
  if (tox == NULL) {
    printf("error tox_new code %d\n", (int)err);
    return 1;
  }
  tox_callback_self_connection_status(tox, on_self_connection);
  tox_callback_friend_connection_status(tox, on_friend_connection);
  tox_callback_friend_request(tox, on_friend_request);
  tox_callback_friend_message(tox, on_message);
  tox_callback_file_recv(tox, on_file_recv);
  tox_callback_file_recv_chunk(tox, on_file_recv_chunk);
  tox_callback_file_chunk_request(tox, on_file_chunk_request);

  uint8_t addr[TOX_ADDRESS_SIZE], pk[TOX_PUBLIC_KEY_SIZE], dht[TOX_PUBLIC_KEY_SIZE];
  tox_self_get_address(tox, addr);
  tox_self_get_public_key(tox, pk);
  tox_self_get_dht_id(tox, dht);
  fputs("ready ", stdout);
  put_hex(addr, sizeof addr);
  putchar(' ');
  put_hex(pk, sizeof pk);
  putchar(' ');
  put_hex(dht, sizeof dht);
  printf(" %u\n", udp ? (unsigned)tox_self_get_udp_port(tox, NULL) : 0u);
  fflush(stdout);

  static char buf[LINE_MAX_BYTES];
  size_t used = 0;
  int quit = 0, discarding = 0;
  while (!quit && !stop_requested) {
    tox_iterate(tox, NULL);
    struct pollfd in = {.fd = STDIN_FILENO, .events = POLLIN, .revents = 0};
    int r = poll(&in, 1, (int)tox_iteration_interval(tox));
    if (r < 0 && errno != EINTR) break;
    if (r > 0) {
      ssize_t n = read(STDIN_FILENO, buf + used, sizeof buf - 1 - used);
      if (n <= 0) break; /* end of input: the driver is gone */
      used += (size_t)n;
      char *nl;
      while (!quit && (nl = memchr(buf, '\n', used)) != NULL) {
        *nl = '\0';
        if (discarding) printf("error line too long\n");
        else quit = run_command(tox, buf);
        discarding = 0;
        used -= (size_t)(nl + 1 - buf);
        memmove(buf, nl + 1, used);
      }
      if (used == sizeof buf - 1) discarding = 1, used = 0;
    }
    if (fflush(stdout) != 0) break;
  }
  tox_kill(tox);
  return 0;
}
