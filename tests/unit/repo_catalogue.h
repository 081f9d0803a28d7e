/*
 * repo_catalogue.h — the repository's catalogue (models/catalogue.json),
 * loaded by a test's group setup.  Tests run from the repository root
 * (tests/run-unit); from elsewhere the load fails and says so.
 */
#ifndef SO_REPO_CATALOGUE_H
#define SO_REPO_CATALOGUE_H

#include <stdio.h>

#include "models/catalogue.h"

#define CATALOGUE "models/catalogue.json"

/* The catalogue, or NULL after saying on stderr why it was refused. */
static struct catalogue * __attribute__((unused))
repo_catalogue(void)
{
	char err[4096] = "";
	struct catalogue *c = catalogue_load(CATALOGUE, err, sizeof err);

	if (c == NULL)
		fprintf(stderr, "%s (run from the repository root)\n", err);
	return c;
}

#endif
