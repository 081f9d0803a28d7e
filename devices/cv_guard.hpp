/*
 * cv_guard — the one exception boundary of the OpenCV wrapper.
 *
 * OpenCV throws cv::Exception (and the standard library std::bad_alloc);
 * nothing may cross an extern "C" entry point.  Each entry point's body is a
 * try block closed by CV_CATCH(err, errlen, "what %s", arg): it writes
 * "what arg: <OpenCV's reason>" (or "…: OpenCV failed" for anything that is
 * not a std::exception) into the caller's buffer, and execution continues
 * after the try block, where the entry point returns its failure value.
 */
#ifndef SO_CV_GUARD_HPP
#define SO_CV_GUARD_HPP

#include "base/log.h"

#include <cstdarg>
#include <cstddef>
#include <cstdio>
#include <exception>

/* "prefix: reason" into err (err may be NULL, as log_seterr). */
static inline void cv_fail(char *err, size_t errlen, const char *reason, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

static inline void
cv_fail(char *err, size_t errlen, const char *reason, const char *fmt, ...)
{
	char prefix[256];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(prefix, sizeof prefix, fmt, ap);
	va_end(ap);
	log_seterr(err, errlen, "%s: %s", prefix, reason != nullptr ? reason : "OpenCV failed");
}

#define CV_CATCH(err, errlen, ...)                                               \
	catch (const std::exception &cv_e_) {                                    \
		cv_fail((err), (errlen), cv_e_.what(), __VA_ARGS__);             \
	} catch (...) {                                                          \
		cv_fail((err), (errlen), nullptr, __VA_ARGS__);                  \
	}

/* For entry points with no error buffer (free, release, a mean): swallow. */
#define CV_CATCH_QUIET catch (...) {}

#endif
