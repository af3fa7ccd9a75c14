/*
 * fault_shim: a UDP impairment relay on loopback for the session fault tests. It stands
 * between two peers' UDP sockets (the kernel here has no sch_netem):
 *
 *   fault_shim A_PORT B_PORT MAX_SECONDS SEED
 *
 * Binds two UDP sockets on 127.0.0.1 with free ports and prints "ready PA PB": a datagram
 * sent to PA goes on to 127.0.0.1:B_PORT from PB's socket, and one sent to PB goes on to
 * 127.0.0.1:A_PORT from PA's socket, so A talks to PA and B to PB as if to each other.
 * Each datagram is dropped with probability DROP % and otherwise held for a uniformly
 * random 0..DELAY ms before it leaves, which reorders it against its neighbours. Both start
 * at 0 and are set from stdin, one command a line:
 *
 *   drop N      (0..100, percent; 100 blocks UDP)
 *   delay MS    (0..1000)
 *   stats       (prints the counters as one JSON line)
 *
 * At most QUEUE_SLOTS datagrams wait at a time; one beyond is dropped and counted. The
 * random source is a seeded xorshift, so a run is repeatable in what it drops. Exits on
 * SIGTERM/SIGINT, on end of stdin or after MAX_SECONDS, printing its counters.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define QUEUE_SLOTS 65536
#define DGRAM_MAX 2048
#define BATCH 64

struct slot {
  int64_t due_us;
  uint64_t seq; /* ties keep arrival order */
  int dir;      /* 0: A to B, 1: B to A */
  uint16_t len;
  unsigned char data[DGRAM_MAX];
};

static struct slot *heap[QUEUE_SLOTS];
static unsigned heap_n = 0;
static uint64_t seq = 0, rng = 88172645463325252ull;
static unsigned long passed[2], dropped[2], full[2], send_errors[2];
static int drop_pct = 0, delay_ms = 0;
static volatile sig_atomic_t stop_now = 0;

static void on_signal(int sig) { (void)sig; stop_now = 1; }

static int64_t now_us(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

static uint64_t next_random(void) {
  rng ^= rng << 13;
  rng ^= rng >> 7;
  rng ^= rng << 17;
  return rng;
}

static int earlier(const struct slot *a, const struct slot *b) {
  return a->due_us < b->due_us || (a->due_us == b->due_us && a->seq < b->seq);
}

static void heap_push(struct slot *s) {
  unsigned i = heap_n++;
  heap[i] = s;
  while (i > 0) {
    unsigned p = (i - 1) / 2;
    if (!earlier(heap[i], heap[p])) break;
    struct slot *t = heap[p];
    heap[p] = heap[i];
    heap[i] = t;
    i = p;
  }
}

static struct slot *heap_pop(void) {
  struct slot *top = heap[0];
  heap[0] = heap[--heap_n];
  unsigned i = 0;
  for (;;) {
    unsigned l = 2 * i + 1, r = l + 1, m = i;
    if (l < heap_n && earlier(heap[l], heap[m])) m = l;
    if (r < heap_n && earlier(heap[r], heap[m])) m = r;
    if (m == i) break;
    struct slot *t = heap[m];
    heap[m] = heap[i];
    heap[i] = t;
    i = m;
  }
  return top;
}

static void print_stats(void) {
  printf("{\"passed\":[%lu,%lu],\"dropped\":[%lu,%lu],\"full\":[%lu,%lu],\"sendErrors\":[%lu,%lu]}\n",
         passed[0], passed[1], dropped[0], dropped[1], full[0], full[1], send_errors[0],
         send_errors[1]);
  fflush(stdout);
}

static int bind_loopback(void) {
  int fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK, 0);
  if (fd < 0) return -1;
  int buf = 8 << 20;
  setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &buf, sizeof buf);
  setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &buf, sizeof buf);
  struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = 0};
  sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (bind(fd, (struct sockaddr *)&sa, sizeof sa) < 0) return -1;
  return fd;
}

static int port_of(int fd) {
  struct sockaddr_in sa;
  socklen_t n = sizeof sa;
  getsockname(fd, (struct sockaddr *)&sa, &n);
  return ntohs(sa.sin_port);
}

static void command(char *line) {
  int v;
  if (sscanf(line, "drop %d", &v) == 1 && v >= 0 && v <= 100) drop_pct = v;
  else if (sscanf(line, "delay %d", &v) == 1 && v >= 0 && v <= 1000) delay_ms = v;
  else if (strncmp(line, "stats", 5) == 0) print_stats();
  else fprintf(stderr, "fault_shim: unknown command: %s", line);
}

int main(int argc, char **argv) {
  if (argc != 5) {
    fprintf(stderr, "usage: fault_shim A_PORT B_PORT MAX_SECONDS SEED\n");
    return 2;
  }
  int ports[2] = {atoi(argv[1]), atoi(argv[2])};
  int64_t end_us = now_us() + (int64_t)atoi(argv[3]) * 1000000;
  uint64_t s = strtoull(argv[4], NULL, 10);
  if (s) rng ^= s * 0x9E3779B97F4A7C15ull;
  if (ports[0] <= 0 || ports[0] > 65535 || ports[1] <= 0 || ports[1] > 65535) {
    fprintf(stderr, "fault_shim: bad port\n");
    return 2;
  }
  signal(SIGTERM, on_signal);
  signal(SIGINT, on_signal);
  int fd[2] = {bind_loopback(), bind_loopback()}; /* fd[0] faces A, fd[1] faces B */
  if (fd[0] < 0 || fd[1] < 0) {
    fprintf(stderr, "fault_shim: cannot bind: %s\n", strerror(errno));
    return 1;
  }
  struct sockaddr_in to[2]; /* to[d]: where direction d delivers */
  for (int d = 0; d < 2; d++) {
    memset(&to[d], 0, sizeof to[d]);
    to[d].sin_family = AF_INET;
    to[d].sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    to[d].sin_port = htons(ports[d == 0 ? 1 : 0]);
  }
  printf("ready %d %d\n", port_of(fd[0]), port_of(fd[1]));
  fflush(stdout);
  struct slot *spare = NULL;
  char line[256];
  size_t line_len = 0;
  int stdin_open = 1;
  while (!stop_now && stdin_open && now_us() < end_us) {
    int64_t now = now_us();
    while (heap_n > 0 && heap[0]->due_us <= now) {
      struct slot *q = heap_pop();
      int out = q->dir == 0 ? 1 : 0;
      if (sendto(fd[out], q->data, q->len, 0, (struct sockaddr *)&to[q->dir], sizeof to[0]) < 0)
        send_errors[q->dir]++;
      else passed[q->dir]++;
      free(q);
    }
    int wait_ms = 100;
    if (heap_n > 0) {
      int64_t w = (heap[0]->due_us - now + 999) / 1000;
      wait_ms = w < wait_ms ? (int)w : wait_ms;
    }
    struct pollfd p[3] = {{fd[0], POLLIN, 0}, {fd[1], POLLIN, 0}, {0, POLLIN, 0}};
    if (poll(p, 3, wait_ms) < 0 && errno != EINTR) break;
    if (p[2].revents) {
      ssize_t n = read(0, line + line_len, sizeof line - 1 - line_len);
      if (n <= 0) stdin_open = 0;
      else {
        line_len += (size_t)n;
        line[line_len] = 0;
        char *nl;
        while ((nl = strchr(line, '\n')) != NULL) {
          *nl = 0;
          command(line);
          memmove(line, nl + 1, line_len - (size_t)(nl + 1 - line) + 1);
          line_len = strlen(line);
        }
        if (line_len == sizeof line - 1) line_len = 0; /* an overlong line is dropped */
      }
    }
    for (int d = 0; d < 2; d++) {
      if (!(p[d].revents & POLLIN)) continue;
      for (int i = 0; i < BATCH; i++) {
        if (!spare && !(spare = malloc(sizeof *spare))) break;
        ssize_t n = recv(fd[d], spare->data, DGRAM_MAX, 0);
        if (n < 0) break;
        if (drop_pct > 0 && (int)(next_random() % 100) < drop_pct) {
          dropped[d]++;
          continue;
        }
        if (heap_n == QUEUE_SLOTS) {
          full[d]++;
          continue;
        }
        int64_t extra = delay_ms > 0 ? (int64_t)(next_random() % ((uint64_t)delay_ms * 1000 + 1)) : 0;
        spare->due_us = now_us() + extra;
        spare->seq = seq++;
        spare->dir = d;
        spare->len = (uint16_t)n;
        heap_push(spare);
        spare = NULL;
      }
    }
  }
  print_stats();
  return 0;
}
