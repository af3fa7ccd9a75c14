/*
 * delay_hop: a two-port Ethernet wire for the NAT lab that holds every frame for a fixed
 * time before passing it on, each direction on its own. It stands in for `tc netem delay`
 * on kernels without sch_netem.
 *
 *   delay_hop IF_A IF_B DELAY_MS MAX_SECONDS
 *
 * Reads frames from IF_A and IF_B with AF_PACKET sockets and sends each one out of the other
 * interface DELAY_MS after it arrived, in arrival order. The sockets carry the virtio-net
 * header (PACKET_VNET_HDR), so a frame whose checksum the sender left to offload, or a GSO
 * super-frame, goes out as it came in. Each direction holds at most QUEUE_SLOTS frames and
 * QUEUE_BYTES bytes; a frame beyond either is dropped and counted.
 * Prints "ready" once both sockets are bound, exits on SIGTERM/SIGINT or after MAX_SECONDS,
 * and prints its counters as one JSON line on exit.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <linux/if_packet.h>
#include <net/ethernet.h>
#include <net/if.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define QUEUE_SLOTS 4096
#define QUEUE_BYTES (16u << 20)
#define FRAME_MAX 65600
#define BATCH 64

#ifndef PACKET_IGNORE_OUTGOING
#define PACKET_IGNORE_OUTGOING 23
#endif

struct slot {
  int64_t due_us;
  size_t len;
  unsigned char *data; /* virtio-net header, then the frame */
};

struct queue {
  struct slot *slots;
  unsigned head, count;
  size_t bytes;
  unsigned long passed, dropped_full, dropped_big, send_errors;
};

static volatile sig_atomic_t stop_now = 0;
static void on_signal(int sig) { (void)sig; stop_now = 1; }

static int64_t now_us(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

static int open_port(const char *name) {
  unsigned idx = if_nametoindex(name);
  if (idx == 0) {
    fprintf(stderr, "delay_hop: no interface %s\n", name);
    exit(2);
  }
  int fd = socket(AF_PACKET, SOCK_RAW | SOCK_NONBLOCK, htons(ETH_P_ALL));
  if (fd < 0) {
    perror("delay_hop: socket");
    exit(2);
  }
  struct sockaddr_ll sll = {0};
  sll.sll_family = AF_PACKET;
  sll.sll_protocol = htons(ETH_P_ALL);
  sll.sll_ifindex = (int)idx;
  if (bind(fd, (struct sockaddr *)&sll, sizeof sll) < 0) {
    perror("delay_hop: bind");
    exit(2);
  }
  int one = 1;
  setsockopt(fd, SOL_PACKET, PACKET_IGNORE_OUTGOING, &one, sizeof one);
  if (setsockopt(fd, SOL_PACKET, PACKET_VNET_HDR, &one, sizeof one) < 0) {
    perror("delay_hop: PACKET_VNET_HDR");
    exit(2);
  }
  struct packet_mreq mr = {0};
  mr.mr_ifindex = (int)idx;
  mr.mr_type = PACKET_MR_PROMISC;
  setsockopt(fd, SOL_PACKET, PACKET_ADD_MEMBERSHIP, &mr, sizeof mr);
  return fd;
}

/* Reads up to BATCH frames from fd into q, each due delay_us from now. */
static void take(int fd, struct queue *q, int64_t delay_us) {
  static unsigned char buf[FRAME_MAX + 1];
  for (int i = 0; i < BATCH; i++) {
    struct sockaddr_ll from;
    socklen_t fl = sizeof from;
    ssize_t n = recvfrom(fd, buf, sizeof buf, MSG_TRUNC, (struct sockaddr *)&from, &fl);
    if (n < 0) return;
    if (from.sll_pkttype == PACKET_OUTGOING) continue;
    if (n > FRAME_MAX) {
      q->dropped_big++;
      continue;
    }
    unsigned char *copy = NULL;
    if (q->count == QUEUE_SLOTS || q->bytes + (size_t)n > QUEUE_BYTES ||
        !(copy = malloc((size_t)n))) {
      q->dropped_full++;
      continue;
    }
    struct slot *s = &q->slots[(q->head + q->count) % QUEUE_SLOTS];
    s->due_us = now_us() + delay_us;
    s->len = (size_t)n;
    s->data = copy;
    memcpy(copy, buf, (size_t)n);
    q->bytes += (size_t)n;
    q->count++;
  }
}

/* Sends every frame of q that is due; returns µs until the next one, or -1 when empty. */
static int64_t give(int fd, struct queue *q) {
  int64_t t = now_us();
  while (q->count > 0) {
    struct slot *s = &q->slots[q->head];
    if (s->due_us > t) return s->due_us - t;
    if (send(fd, s->data, s->len, 0) < 0) q->send_errors++;
    else q->passed++;
    free(s->data);
    q->bytes -= s->len;
    q->head = (q->head + 1) % QUEUE_SLOTS;
    q->count--;
  }
  return -1;
}

int main(int argc, char **argv) {
  if (argc != 5) {
    fprintf(stderr, "usage: delay_hop IF_A IF_B DELAY_MS MAX_SECONDS\n");
    return 2;
  }
  long delay_ms = strtol(argv[3], NULL, 10), max_s = strtol(argv[4], NULL, 10);
  if (delay_ms < 0 || delay_ms > 5000 || max_s < 1 || max_s > 86400) {
    fprintf(stderr, "delay_hop: DELAY_MS must be 0..5000 and MAX_SECONDS 1..86400\n");
    return 2;
  }
  signal(SIGTERM, on_signal);
  signal(SIGINT, on_signal);
  int fa = open_port(argv[1]), fb = open_port(argv[2]);
  struct queue ab = {0}, ba = {0};
  ab.slots = calloc(QUEUE_SLOTS, sizeof(struct slot));
  ba.slots = calloc(QUEUE_SLOTS, sizeof(struct slot));
  if (!ab.slots || !ba.slots) {
    fprintf(stderr, "delay_hop: out of memory\n");
    return 2;
  }
  printf("ready\n");
  fflush(stdout);
  int64_t end = now_us() + (int64_t)max_s * 1000000, delay_us = delay_ms * 1000;
  while (!stop_now && now_us() < end) {
    int64_t w1 = give(fb, &ab), w2 = give(fa, &ba);
    int64_t wait = 100000;
    if (w1 >= 0 && w1 < wait) wait = w1;
    if (w2 >= 0 && w2 < wait) wait = w2;
    struct pollfd p[2] = {{fa, POLLIN, 0}, {fb, POLLIN, 0}};
    struct timespec ts = {wait / 1000000, (wait % 1000000) * 1000};
    if (ppoll(p, 2, &ts, NULL) < 0 && errno != EINTR) break;
    if (p[0].revents & POLLIN) take(fa, &ab, delay_us);
    if (p[1].revents & POLLIN) take(fb, &ba, delay_us);
  }
  printf("{\"passed\":[%lu,%lu],\"droppedFull\":[%lu,%lu],\"droppedBig\":[%lu,%lu],"
         "\"sendErrors\":[%lu,%lu]}\n",
         ab.passed, ba.passed, ab.dropped_full, ba.dropped_full, ab.dropped_big, ba.dropped_big,
         ab.send_errors, ba.send_errors);
  return 0;
}
