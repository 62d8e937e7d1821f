import { Alert, Button, Code, CopyButton, Group, Stack, Text } from '@mantine/core';

/** A value shown once (a token, a key, an invite link), with a copy button. */
export function Secret({ title, value, note }: { title: string; value: string; note: string }) {
  return (
    <Alert color="green" title={title} data-testid="secret" styles={{ title: { color: '#1e6b33' } }}>
      <Stack gap="xs">
        <Text size="sm">{note}</Text>
        <Group gap="xs" wrap="nowrap">
          <Code block style={{ flex: 1, wordBreak: 'break-all' }} data-testid="secret-value">
            {value}
          </Code>
          <CopyButton value={value}>
            {({ copied, copy }) => (
              <Button size="xs" variant="default" onClick={copy}>
                {copied ? 'Copied' : 'Copy'}
              </Button>
            )}
          </CopyButton>
        </Group>
      </Stack>
    </Alert>
  );
}
