#ifndef CCURLSHIM_H
#define CCURLSHIM_H

#include <curl/curl.h>

/* Typed wrappers for libcurl's variadic setopt/getinfo, which Swift cannot call. */

typedef size_t (*CCurlShim_DataCallback)(char *ptr, size_t size, size_t nmemb, void *userdata);
typedef int (*CCurlShim_XferInfoCallback)(void *userdata, curl_off_t dltotal, curl_off_t dlnow,
                                          curl_off_t ultotal, curl_off_t ulnow);

CURLcode CCurlShim_setopt_long(CURL *handle, CURLoption option, long value);
CURLcode CCurlShim_setopt_off_t(CURL *handle, CURLoption option, curl_off_t value);
CURLcode CCurlShim_setopt_string(CURL *handle, CURLoption option, const char *value);
CURLcode CCurlShim_setopt_pointer(CURL *handle, CURLoption option, void *value);
CURLcode CCurlShim_setopt_slist(CURL *handle, CURLoption option, struct curl_slist *value);
CURLcode CCurlShim_setopt_write_function(CURL *handle, CCurlShim_DataCallback callback);
CURLcode CCurlShim_setopt_header_function(CURL *handle, CCurlShim_DataCallback callback);
CURLcode CCurlShim_setopt_xferinfo_function(CURL *handle, CCurlShim_XferInfoCallback callback);

CURLcode CCurlShim_getinfo_long(CURL *handle, CURLINFO info, long *value);
CURLcode CCurlShim_getinfo_string(CURL *handle, CURLINFO info, const char **value);
CURLcode CCurlShim_getinfo_off_t(CURL *handle, CURLINFO info, curl_off_t *value);
CURLcode CCurlShim_getinfo_pointer(CURL *handle, CURLINFO info, void **value);

CURLMcode CCurlShim_multi_setopt_long(CURLM *multi, CURLMoption option, long value);

/* The multi_socket interface: libcurl says which sockets to watch and when to call it back. */
typedef int (*CCurlShim_SocketCallback)(CURL *easy, curl_socket_t socket, int what, void *userdata, void *socketdata);
typedef int (*CCurlShim_TimerCallback)(CURLM *multi, long timeout_ms, void *userdata);
CURLMcode CCurlShim_multi_setopt_socket_function(CURLM *multi, CCurlShim_SocketCallback callback, void *userdata);
CURLMcode CCurlShim_multi_setopt_timer_function(CURLM *multi, CCurlShim_TimerCallback callback, void *userdata);
/* CURL_SOCKET_TIMEOUT, a macro of a macro. */
curl_socket_t CCurlShim_socket_timeout(void);

/* The CURLMsg union is awkward from Swift. */
CURL *CCurlShim_msg_easy_handle(CURLMsg *msg);
CURLcode CCurlShim_msg_result(CURLMsg *msg);
int CCurlShim_msg_is_done(CURLMsg *msg);

#endif
