/*
 * What the C load generators of bench/ share (dht_load.c, attack_flood.c): a monotonic
 * clock, the [length u16 BE][bytes] packet file both read, and one sendmmsg batch that
 * sends those packets round robin. Include once per program (the tables are static).
 */
#ifndef PEERKIT_BENCH_UDP_BATCH_H
#define PEERKIT_BENCH_UDP_BATCH_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#define BATCH 64
#define MAX_PACKETS 65536

static unsigned char *packets[MAX_PACKETS];
static size_t lengths[MAX_PACKETS];

static double now_s(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

/* Loads the records of `path` (each 1..max_len bytes) into packets[]; returns how many. */
static size_t load_packets(const char *path, size_t max_len) {
  FILE *f = fopen(path, "rb");
  if (!f) return 0;
  size_t n = 0;
  unsigned char hdr[2];
  while (n < MAX_PACKETS && fread(hdr, 1, 2, f) == 2) {
    size_t len = ((size_t)hdr[0] << 8) | hdr[1];
    if (len == 0 || len > max_len) break;
    packets[n] = malloc(len);
    if (!packets[n] || fread(packets[n], 1, len, f) != len) break;
    lengths[n++] = len;
  }
  fclose(f);
  return n;
}

/*
 * Sends up to min(want, BATCH) of the `count` loaded packets on connected socket `fd` in
 * one sendmmsg, starting at *next (advanced past what was offered); returns what went
 * (<= 0 on ENOBUFS and the like).
 */
static int send_batch(int fd, long want, size_t *next, size_t count) {
  struct mmsghdr msgs[BATCH];
  struct iovec iov[BATCH];
  int n = 0;
  memset(msgs, 0, sizeof msgs);
  while (n < BATCH && n < want) {
    iov[n].iov_base = packets[*next];
    iov[n].iov_len = lengths[*next];
    msgs[n].msg_hdr.msg_iov = &iov[n];
    msgs[n].msg_hdr.msg_iovlen = 1;
    *next = (*next + 1) % count;
    n++;
  }
  return sendmmsg(fd, msgs, (unsigned)n, 0);
}

#endif
