/*
 * Blinky for the STM32F103xB ("Blue Pill": LED on PC13, active low), written for flashwright's
 * examples. Register addresses from RM0008 (STM32F101/102/103 reference manual): RCC at
 * 0x40021000, GPIOC at 0x40011000; SysTick from the Cortex-M3 architecture (0xE000E010).
 * Runs on the reset clock (HSI, 8 MHz). The LED "breathes" with software PWM, then blinks
 * the message in Morse code, forever.
 */
#include <stdint.h>

#define REG(addr) (*(volatile uint32_t *)(addr))
#define RCC_APB2ENR REG(0x40021018u)
#define GPIOC_CRH   REG(0x40011004u)
#define GPIOC_BSRR  REG(0x40011010u)
#define SYST_CSR    REG(0xE000E010u)
#define SYST_RVR    REG(0xE000E014u)
#define SYST_CVR    REG(0xE000E018u)

#define LED_PIN 13u
#define HSI_HZ 8000000u

extern uint32_t _sidata, _sdata, _edata, _sbss, _ebss, _estack;
extern const uint16_t breath_curve[512];
extern const uint16_t gamma_table[256];

void reset_handler(void);
void default_handler(void);
void systick_handler(void);

static volatile uint32_t ticks;           /* .bss: SysTick count, one per 10 us */
volatile uint32_t morse_unit_ms = 120;    /* .data (copied from flash at reset): dot length */
static const char message[] = "FLASHWRIGHT";

/* Morse code for A–Z: length in the top 3 bits, dots (0) and dashes (1) from bit 0 up. */
static const uint8_t morse[26] = {
  0x42, 0x81, 0x85, 0x61, 0x20, 0x84, 0x63, 0x80, 0x40, 0x8E, 0x65, 0x82, 0x43,
  0x41, 0x67, 0x86, 0x8B, 0x62, 0x60, 0x21, 0x64, 0x88, 0x66, 0x89, 0x8D, 0x83,
};

__attribute__((section(".isr_vector"), used))
void (*const vector_table[16 + 43])(void) = {
  (void (*)(void))&_estack, reset_handler,
  default_handler, default_handler, default_handler, default_handler, default_handler, /* NMI…Usage */
  0, 0, 0, 0,
  default_handler, default_handler, 0, default_handler, systick_handler,              /* SVC…SysTick */
  [16 ... 16 + 42] = default_handler,                                                 /* IRQ0–42 */
};

void default_handler(void) {
  for (;;) { }
}

void systick_handler(void) {
  ticks++;
}

static void led(int on) {
  GPIOC_BSRR = on ? (1u << (LED_PIN + 16)) : (1u << LED_PIN); /* active low */
}

static void wait_ticks(uint32_t n) {
  uint32_t start = ticks;
  while (ticks - start < n) { }
}

static void wait_ms(uint32_t ms) {
  wait_ticks(ms * 100u);
}

/* One breath: 512 steps of 2 ms, each a 1 ms software PWM period repeated twice. */
static void breathe(void) {
  for (uint32_t i = 0; i < 512; i++) {
    uint32_t duty = gamma_table[breath_curve[i] * 255u / 1000u] / 10u; /* 0..100 ticks */
    for (int rep = 0; rep < 2; rep++) {
      led(duty > 0);
      wait_ticks(duty);
      led(0);
      wait_ticks(100u - duty);
    }
  }
}

static void send_morse(const char *text) {
  for (; *text; text++) {
    uint8_t code = morse[*text - 'A'];
    uint32_t len = code >> 5;
    for (uint32_t k = 0; k < len; k++) {
      led(1);
      wait_ms(morse_unit_ms * ((code >> k) & 1u ? 3u : 1u));
      led(0);
      wait_ms(morse_unit_ms);
    }
    wait_ms(morse_unit_ms * 2u);
  }
}

void reset_handler(void) {
  uint32_t *src = &_sidata;
  for (uint32_t *dst = &_sdata; dst < &_edata;) *dst++ = *src++;
  for (uint32_t *dst = &_sbss; dst < &_ebss;) *dst++ = 0;

  RCC_APB2ENR |= 1u << 4;                                   /* IOPCEN */
  GPIOC_CRH = (GPIOC_CRH & ~(0xFu << 20)) | (0x2u << 20);   /* PC13: output push-pull, 2 MHz */
  led(0);
  SYST_RVR = HSI_HZ / 100000u - 1u;                         /* 10 us tick */
  SYST_CVR = 0;
  SYST_CSR = 7u;                                            /* processor clock, interrupt, enable */

  for (;;) {
    breathe();
    breathe();
    send_morse(message);
    wait_ms(1000);
  }
}
