/*
 * The configuration: every variable of every program declared once, in
 * the table of config.c (name, default, rule, meaning), read from the
 * environment and checked when a program starts. A bad value stops the
 * program with a line naming the variable and its rule. Nothing else reads
 * the environment.
 */
#ifndef CONFIG_H
#define CONFIG_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "tz.h"

#define CONFIG_PATH	512
#define CONFIG_TEXT	256
#define CONFIG_KEY_MAX	64

/* A secret key read from a file of hex (32 to 64 bytes). */
struct config_key {
	unsigned char	 bytes[CONFIG_KEY_MAX];
	size_t		 len;		/* 0: no key */
};

/* Working hours, when the support SLA counts in them. */
struct config_hours {
	int	 set;		/* 0: calendar hours */
	int	 days;		/* bit 0 Monday ... bit 6 Sunday */
	int	 open_min, close_min;	/* minutes after local midnight */
};

struct config {
	/* Where things are. */
	char	 var_dir[CONFIG_PATH];		/* PLATFORM_VAR */
	char	 db_path[CONFIG_PATH];		/* PLATFORM_DB */
	char	 template_dir[CONFIG_PATH];	/* PLATFORM_TEMPLATES */
	char	 font_dir[CONFIG_PATH];		/* PLATFORM_FONT_DIR */
	/* nginx and the pools (deploy/stack.sh reads them through
	 * `platformctl config --shell`). */
	int	 https_port, http_port;		/* HTTPS_PORT, HTTP_PORT */
	char	 listen[16];			/* PLATFORM_LISTEN */
	char	 server_name[CONFIG_TEXT];	/* PLATFORM_SERVER_NAME */
	char	 cors_origins[CONFIG_TEXT];	/* PLATFORM_CORS_ORIGINS */
	int	 workers;			/* PLATFORM_WORKERS */
	int	 login_rate;			/* PLATFORM_LOGIN_RATE */
	int	 demo;				/* PLATFORM_DEMO */
	int	 bench_bare;			/* PLATFORM_BENCH_BARE */
	/* Requests and credentials. */
	size_t	 max_body;			/* PLATFORM_MAX_BODY */
	char	 jwt_secret_file[CONFIG_PATH];	/* PLATFORM_JWT_SECRET_FILE */
	struct config_key jwt;			/* its key (none: no sign-in) */
	int64_t	 jwt_ttl;			/* PLATFORM_JWT_TTL (seconds) */
	/* Billing. */
	char	 seller_name[CONFIG_TEXT];	/* PLATFORM_SELLER_NAME */
	char	 seller_address[CONFIG_TEXT];	/* PLATFORM_SELLER_ADDRESS */
	char	 seller_siren[16];		/* PLATFORM_SELLER_SIREN */
	char	 seller_vat[32];		/* PLATFORM_SELLER_VAT */
	int	 vat_rate_bps;			/* PLATFORM_VAT_RATE_BPS */
	char	 stripe_secret_key[CONFIG_TEXT];	/* STRIPE_SECRET_KEY */
	char	 stripe_webhook_secret[CONFIG_TEXT];	/* STRIPE_WEBHOOK_SECRET */
	char	 stripe_api_base[CONFIG_TEXT];	/* STRIPE_API_BASE */
	/* Support. */
	char	 sla_spec[128];			/* PLATFORM_SLA_HOURS */
	int	 sla_hours[4];			/* its hours: low .. urgent */
	char	 business_spec[64];		/* PLATFORM_BUSINESS_HOURS */
	struct config_hours business;		/* its days and hours */
	char	 timezone[64];			/* PLATFORM_TIMEZONE */
	const struct tz *tz;			/* its zone */
	int	 round_robin;			/* PLATFORM_ROUND_ROBIN */
	int	 db_durable;			/* PLATFORM_DB_DURABLE */
	char	 backup_dir[CONFIG_PATH];	/* PLATFORM_BACKUP_DIR */
	int	 backup_interval_s;		/* PLATFORM_BACKUP_INTERVAL_S */
	int	 backup_keep;			/* PLATFORM_BACKUP_KEEP */
	/* E-mail. */
	char	 smtp_url[CONFIG_TEXT];		/* SMTP_URL */
	char	 smtp_user[128];		/* SMTP_USER */
	char	 smtp_password[128];		/* SMTP_PASSWORD */
	char	 smtp_from[CONFIG_TEXT];	/* SMTP_FROM */
	/* Shop backends, as the platform deploys them. */
	char	 share_dir[CONFIG_PATH];	/* PLATFORM_SHARE */
	char	 bin_dir[CONFIG_PATH];		/* PLATFORM_BIN_DIR */
	char	 nginx_conf[CONFIG_PATH];	/* PLATFORM_NGINX_CONF */
	char	 nginx_pid[CONFIG_PATH];	/* PLATFORM_NGINX_PID */
	char	 shops_dir[CONFIG_PATH];	/* PLATFORM_SHOPS_DIR */
	char	 shops_nginx_dir[CONFIG_PATH];	/* PLATFORM_SHOPS_NGINX_DIR */
	char	 shops_domain[CONFIG_TEXT];	/* SHOPS_DOMAIN */
	int	 shop_workers;			/* SHOP_WORKERS */
	int	 shop_start_ms;			/* SHOP_START_TIMEOUT_MS */
	char	 socket_group[64];		/* PLATFORM_SOCKET_GROUP */
	int	 shops_systemd;			/* PLATFORM_SHOPS_SYSTEMD */
	char	 systemctl[CONFIG_PATH];	/* PLATFORM_SYSTEMCTL */
	int	 probe_interval_s;		/* PLATFORM_PROBE_INTERVAL_S */
	int	 probe_slow_ms;			/* PLATFORM_PROBE_SLOW_MS */
	int	 restart_after;			/* PLATFORM_RESTART_AFTER */
	char	 probe_ca[CONFIG_PATH];		/* PLATFORM_PROBE_CA */
	/* A shop backend (shop-fcgi). */
	char	 shop_name[CONFIG_TEXT];	/* SHOP_NAME */
	char	 shop_secret_file[CONFIG_PATH];	/* SHOP_SECRET_FILE */
	struct config_key shop_secret;		/* its key (none: no owner) */
};

/* Reads every variable of the table from the environment and checks it.
 * On success the result becomes the process's configuration (config())
 * and 0 is returned; on the first bad value, the configuration is left as
 * it was, why (n bytes) says "NAME: rule" and -1 is returned. Programs
 * call it once at start and refuse to start on -1; tests call it again
 * after changing the environment. */
int		 config_load(char *why, size_t n);
/* The process's configuration: the last one config_load() accepted (the
 * defaults before). Owned by the process. */
const struct config *config(void);
/* Prints every variable with its effective value, one "NAME=value" a
 * line; secrets are masked ("********", or "" when unset). */
void		 config_print(FILE *f);
/* Prints "NAME=value" lines for the variables deploy/stack.sh uses; their
 * rules allow only characters safe in a shell word and a config file. */
void		 config_print_shell(FILE *f);
/* Prints the table as the README shows it: "| variable | default |
 * meaning |", a row a variable. */
void		 config_print_markdown(FILE *f);
/* Parses "mon-fri 09:00-18:00" (also "mon,wed,fri 08:30-12:00") into h.
 * Returns 0 or -1. */
int		 config_parse_hours(const char *spec, struct config_hours *h);

#endif
