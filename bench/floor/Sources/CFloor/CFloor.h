// Helpers for Floor.swift (libcurl's setopt is variadic, so Swift cannot call it directly).
#include <curl/curl.h>
#include <openssl/evp.h>
static inline size_t floor_sink(char *p, size_t s, size_t n, void *u) { return s * n; }
static inline void floor_get(CURL *h, const char *url) {
  curl_easy_setopt(h, CURLOPT_URL, url); curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, floor_sink); curl_easy_perform(h); }
