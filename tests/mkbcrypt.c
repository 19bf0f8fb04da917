// SPDX-License-Identifier: BSD-2-Clause
/* mkbcrypt PASSWORD [COST]: prints a bcrypt ($2y$) hash of PASSWORD, as
 * htpasswd -nBC would, for the web configuration tests. */
#include <crypt.h>
#include <stdio.h>
#include <stdlib.h>

int main(int argc, char **argv)
{
	struct crypt_data cd = { 0 };
	char salt[CRYPT_GENSALT_OUTPUT_SIZE];
	const char *hash;

	if (argc < 2 || argc > 3) {
		fprintf(stderr, "usage: mkbcrypt PASSWORD [COST]\n");
		return 2;
	}
	if (!crypt_gensalt_rn("$2y$", argc == 3 ? strtoul(argv[2], NULL, 10) : 4, NULL, 0,
			      salt, sizeof(salt))) {
		perror("crypt_gensalt_rn");
		return 1;
	}
	hash = crypt_r(argv[1], salt, &cd);
	if (!hash || hash[0] == '*') {
		perror("crypt_r");
		return 1;
	}
	printf("%s\n", hash);
	return 0;
}
